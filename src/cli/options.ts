/** Help texts shared by several `mtl` commands. */

export const DATA_DIR_HELP =
  'folder holding the dataset files (default: $MTL_DATA_DIR; else the cache ~/.cache/mtljs, the copy shipped with mtljs, or a download: see `mtl data list`)';

/**
 * The catalog of built-in datasets: for each, the files its loader reads (path under the data folder,
 * size, sha256 of the exact bytes), where a copy can be downloaded from, its licence and attribution,
 * and whether the package ships a copy. Pure data (no Node APIs): the browser and `mtl data list` read it.
 *
 * Where the files come from at run time (src/data/store/locate.ts), in this order:
 *   1. an explicit data folder (`dataDir` option, `--data-dir`, or $MTL_DATA_DIR),
 *   2. the local cache ($XDG_CACHE_HOME/mtljs or ~/.cache/mtljs, or $MTL_CACHE_DIR),
 *   3. the copy shipped in the package (data/<path>.gz; small sets with a clear licence only),
 *   4. a download from `url` into the cache, checked against `sha256`.
 * A file without a `url` has no public copy with exactly these bytes; the error then says where to put it.
 */

export interface DataFile {
  /** Path under the data folder, e.g. 'adult/adult.data'. */
  path: string;
  bytes: number;
  /** sha256 of the exact bytes (hex). */
  sha256: string;
  /** Where the exact bytes can be downloaded from; null when no such public copy is known. */
  url: string | null;
}

export interface DataSource {
  /** Catalog key; also the folder under the data directory. */
  id: string;
  title: string;
  /** The tasks the loader makes of it. */
  tasks: string;
  licence: string;
  /** Who made it; what to cite. */
  attribution: string;
  /** A page about it. */
  homepage: string;
  /** The package ships a gzip copy under data/ (adult, energy, snips). */
  shipped: boolean;
  files: DataFile[];
}

const UCI = 'https://archive.ics.uci.edu/ml/machine-learning-databases';
// Public copies at pinned commits whose bytes were checked against the sha256 below (raw GitHub URLs
// serve a commit's blob unchanged). Mulan's own repository holds its ARFF files; JointBERT prepared
// the SNIPS split files (sonos/nlu-benchmark publishes JSON only).
const MULAN = 'https://raw.githubusercontent.com/tsoumakas/mulan/43f6389095ad71984264db4387a8074b22bc7d4a/data/multi-label';
const JOINTBERT = 'https://raw.githubusercontent.com/monologg/JointBERT/00324f60dda4a491b2913bc3065ae93966caea3f/data';

function file(path: string, bytes: number, sha256: string, url: string | null = null): DataFile {
  return { path, bytes, sha256, url };
}

function mulan(name: string, tasks: string, files: DataFile[]): DataSource {
  return {
    id: `mulan-${name}`,
    title: `Mulan ${name} (multi-label)`,
    tasks,
    licence: 'no licence stated by the Mulan repository; for research use, cite the original authors',
    attribution: 'Mulan multi-label datasets, Tsoumakas et al., https://mulan.sourceforge.net/datasets-mlc.html',
    homepage: 'https://mulan.sourceforge.net/datasets-mlc.html',
    shipped: false,
    files,
  };
}

export const DATA_SOURCES: readonly DataSource[] = [
  {
    id: 'adult',
    title: 'UCI Adult (census income)',
    tasks: 'income >50K, never married (binary); 14 features',
    licence: 'CC BY 4.0',
    attribution: 'Becker, B. & Kohavi, R. (1996). Adult. UCI Machine Learning Repository. https://doi.org/10.24432/C5XW20',
    homepage: 'https://archive.ics.uci.edu/dataset/2/adult',
    shipped: true,
    files: [
      file('adult/adult.data', 3974305, '5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d', `${UCI}/adult/adult.data`),
      file('adult/adult.test', 2003132, '72567b94f5c1a6f8501377dd80f93892c3848ff071cf91ba47e00b0785a28074'),
      file('adult/adult.names', 5229, 'c248284c0b5de30c9e1958d6cdd168a34a654758b620e68f46aefa83fc0a576a', 'https://raw.githubusercontent.com/erobertson-machine-learning/practice/118f90b9a5f1d917add26d669008e68a570d9a97/adult/adult.names'),
    ],
  },
  {
    id: 'energy',
    title: 'UCI Energy efficiency',
    tasks: 'heating load, cooling load (regression); 8 features',
    licence: 'CC BY 4.0',
    attribution: 'Tsanas, A. & Xifara, A. (2012). Energy Efficiency. UCI Machine Learning Repository. https://doi.org/10.24432/C51307',
    homepage: 'https://archive.ics.uci.edu/dataset/242/energy+efficiency',
    shipped: true,
    files: [file('energy/energy_efficiency.csv', 39946, 'db44dbe453acd464b5cf65be2fb01a28aa9c5b2630300e65fbe28cde35f5d96f')],
  },
  {
    id: 'sarcos',
    title: 'SARCOS inverse dynamics (test split)',
    tasks: '7 joint torques (regression); 21 features',
    licence: 'no licence stated; cite Vijayakumar & Schaal (2000) and Rasmussen & Williams, GPML',
    attribution: 'SARCOS data, http://gaussianprocess.org/gpml/data/',
    homepage: 'http://gaussianprocess.org/gpml/data/',
    shipped: false,
    files: [file('sarcos/sarcos_inv_test.csv', 1197835, 'df86bea5e2dfe0ef16dad286e7869e5af427d7f149b2ee3256b4da622cfa2c71')],
  },
  {
    id: 'school',
    title: 'ILEA school exam scores (MALSAR school)',
    tasks: 'exam score per school (139 regression tasks); 28 features',
    licence: 'no licence stated; ILEA data via MALSAR',
    attribution: 'Inner London Education Authority data as prepared by MALSAR (Zhou, Chen & Ye, 2011)',
    homepage: 'https://github.com/jiayuzhou/MALSAR',
    shipped: false,
    files: [file('school/school_from_mat.csv', 997587, 'b989aa8112cd70e8815a200728a39ba4107a7a50cd10af049c794238c912b8ed')],
  },
  mulan('emotions', '6 emotion labels of music (binary each); 72 features', [
    file('mulan-multilabel/emotions.xml', 323, 'dbce8e6ccbbb2fcbfd9e9edbb230d7ed12692c6e13f59fdbc0161fa9b6cf2dc0', `${MULAN}/emotions/emotions.xml`),
    file('mulan-multilabel/emotions-train.arff', 252080, 'bbe704106c79bb8fb99c1d1d2e9bde081d6a2daeb01f100862f11fd91a3c1f98', `${MULAN}/emotions/emotions-train.arff`),
    file('mulan-multilabel/emotions-test.arff', 132007, 'f13d4b746b7b5c8eb484bd751d6ac463d4560dff998a93516a5c1fe35daf6c8f', `${MULAN}/emotions/emotions-test.arff`),
  ]),
  mulan('yeast', '14 gene function classes (binary each); 103 features', [
    file('mulan-multilabel/yeast.xml', 526, 'c3056cc26444b5158b1588d1b73bec9c45429e10f0957ad085903423cb81f247', `${MULAN}/yeast/yeast.xml`),
    file('mulan-multilabel/yeast-train.arff', 1501117, 'e759dc991ff54694a4ff9c4314f3be0d6fd2b1994a4b563f57e416394c6aebbd', `${MULAN}/yeast/yeast-train.arff`),
    file('mulan-multilabel/yeast-test.arff', 918515, '4aaac102bff9669a765bf0b378602e5cc8c3b181048282e2f003117b496d552a', `${MULAN}/yeast/yeast-test.arff`),
  ]),
  mulan('scene', '6 scene labels of images (binary each); 294 features', [
    file('mulan-multilabel/scene.xml', 285, '55d8b247b949ad5c52e5a73d8c6775ec6e5469ce9682465b45b333b68ee4bcc5', `${MULAN}/scene/scene.xml`),
    file('mulan-multilabel/scene-train.arff', 3127968, 'b53ba93bdf412de922e3960389bcee24744fa3e872ce610511fc1d750888b64d', `${MULAN}/scene/scene-train.arff`),
    file('mulan-multilabel/scene-test.arff', 3090742, 'ea38d20296b3ff7e220f477a3b802a9bcb2d768881fe6ee163efbc97ea527a42', `${MULAN}/scene/scene-test.arff`),
  ]),
  mulan('flags', '7 flag colours (binary each); 19 features', [
    file('mulan-multilabel/flags.xml', 304, '7c9ed21a91b716b91f811323e20ee5a260ea2da62a5edcfeb1b91ec855a48f17', `${MULAN}/flags/flags.xml`),
    file('mulan-multilabel/flags-train.arff', 7707, '1861cdab7f8baf1aef6fb6198f304465ddfd99b7f9a435337c604119522df3c5', `${MULAN}/flags/flags-train.arff`),
    file('mulan-multilabel/flags-test.arff', 4218, '09f6136fae47dcc2f0f491efd6401a11072cbfb0bfbb2666c63b35bb06aeeb16', `${MULAN}/flags/flags-test.arff`),
  ]),
  {
    id: 'snips',
    title: 'SNIPS NLU benchmark (JointBERT preprocessing)',
    tasks: 'intent (7 classes) and a slot tag per token (72 BIO tags)',
    licence: 'CC0 1.0 (data, Sonos); the preprocessing by JointBERT is Apache-2.0',
    attribution: 'Coucke et al. (2018), Snips Voice Platform; files as prepared by monologg/JointBERT',
    homepage: 'https://github.com/sonos/nlu-benchmark',
    shipped: true,
    files: [
      file('snips/intent_label.txt', 103, '65e97527fa7048ee19a5a9a030c1feb43846ac48a99d2efeacbf44b9dd6014e8', `${JOINTBERT}/snips/intent_label.txt`),
      file('snips/slot_label.txt', 1002, 'd355b87d41fe23ff1c9d81e419333387590a305b32f7431df170deb379614d26', `${JOINTBERT}/snips/slot_label.txt`),
      file('snips/train/seq.in', 617079, '04ad1e3f2121d83c6478f9a4b17d2dbdc21d06d6127f73cb7af835ed733f9855', `${JOINTBERT}/snips/train/seq.in`),
      file('snips/train/seq.out', 950926, 'fd5f2121d8055827e5d6b3d3bac30f3d7e94e82a5d437751960cbdd9e1b4f6d3', `${JOINTBERT}/snips/train/seq.out`),
      file('snips/train/label', 184532, 'bfd7df6cf9dd76c5da5d8b61bc85f90386197bdd3d7510c1d324c051537b962f', `${JOINTBERT}/snips/train/label`),
      file('snips/dev/seq.in', 33629, '64e0f6d8ad8aab3a3828164d7d53731a0993d3ca1aed437ceaca6d3d568d410e', `${JOINTBERT}/snips/dev/seq.in`),
      file('snips/dev/seq.out', 50626, '712e6d34feb8d52d208b820a5f8bae6e6ff990f08374507dfde22de389088319', `${JOINTBERT}/snips/dev/seq.out`),
      file('snips/dev/label', 9900, '9c1dd041216f647bcfca838aaf1a48eb5781e4404256d31ff07cd38a5436c52f', `${JOINTBERT}/snips/dev/label`),
      file('snips/test/seq.in', 33121, 'c1e341173fcea2951a8ca371956a6f81c76de87b9583c62eb87edd6158fa3a7c', `${JOINTBERT}/snips/test/seq.in`),
      file('snips/test/seq.out', 50918, '58c07c9097d5e1f78889765c2a535a160f6455b90b3142055c8051847afcca47', `${JOINTBERT}/snips/test/seq.out`),
      file('snips/test/label', 10120, '37a26da3ad079bb41c42c85a3a8f827eb47efec4c5917ce5d08f4b2736e4f830', `${JOINTBERT}/snips/test/label`),
    ],
  },
  {
    id: 'uci-sentiment',
    title: 'UCI Sentiment Labelled Sentences',
    tasks: 'sentiment (binary) and source domain (amazon / imdb / yelp) of a sentence',
    licence: 'UCI Machine Learning Repository; the readme asks for a citation of Kotzias et al. (2015)',
    attribution: "Kotzias, D., Denil, M., de Freitas, N. & Smyth, P. (2015). From Group to Individual Labels using Deep Features. KDD '15",
    homepage: 'https://archive.ics.uci.edu/dataset/331/sentiment+labelled+sentences',
    shipped: false,
    files: [
      file('uci_sentiment/amazon_cells_labelled.txt', 58226, '47003fc0a0d4840b00e96e715b6189bad09e7443a3da41c4cbe12ffc79f86ae3', 'https://raw.githubusercontent.com/kvrao/sentiment_analysis/462f7304ab341f1b5014e6eae56100bfe35d703a/sentiment%20labelled%20sentences/amazon_cells_labelled.txt'),
      file('uci_sentiment/imdb_labelled.txt', 85285, 'aef2e49e3da25714d61175e3a6e68eeef74a20a2f914318dc3be9947ea86512d', 'https://raw.githubusercontent.com/rushabh7cr/Sentiment-Classifier-using-naive-bayes/60b3211cf920faf6ee7e6c68114b3c272cfa4421/imdb_labelled.txt'),
      file('uci_sentiment/yelp_labelled.txt', 61320, 'c76468b7b5c6e56a0804d728345c5f84aa2142ddb214420f61cc9cfd4c00d2ea', 'https://raw.githubusercontent.com/rushabh7cr/Sentiment-Classifier-using-naive-bayes/60b3211cf920faf6ee7e6c68114b3c272cfa4421/yelp_labelled.txt'),
    ],
  },
];

/** Dataset names (as `loadDataset` and configs know them) → the data sources they read. */
export const DATASET_SOURCES: Readonly<Record<string, readonly string[]>> = {
  adult: ['adult'],
  energy: ['energy'],
  sarcos: ['sarcos'],
  school: ['school'],
  'mulan-emotions': ['mulan-emotions'],
  'mulan-yeast': ['mulan-yeast'],
  'mulan-scene': ['mulan-scene'],
  'mulan-flags': ['mulan-flags'],
  snips: ['snips'],
  'uci-sentiment': ['uci-sentiment'],
  'snips-sentiment': ['snips', 'uci-sentiment'],
  mnist: [],
};

export function dataSource(id: string): DataSource | undefined {
  return DATA_SOURCES.find((s) => s.id === id);
}

/** The catalog entry of a file path ('adult/adult.data'), or undefined. */
export function dataFile(path: string): { source: DataSource; file: DataFile } | undefined {
  for (const source of DATA_SOURCES) {
    const f = source.files.find((x) => x.path === path);
    if (f) return { source, file: f };
  }
  return undefined;
}

/** The data sources of a dataset name, or undefined for an unknown name. */
export function sourcesOfDataset(name: string): DataSource[] | undefined {
  if (!Object.hasOwn(DATASET_SOURCES, name)) return undefined;
  return DATASET_SOURCES[name]!.map((id) => dataSource(id)!);
}

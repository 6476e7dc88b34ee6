/**
 * The studio page's HTML and CSS (index.html of the site). The script studio.js (./page.ts) fills it;
 * the training views are the Node dashboard's own page (dashboard.html, src/dashboard/template.html),
 * framed and fed the same state a run folder gives it. Nothing here loads from another origin.
 */
export function studioHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mtljs studio</title>
<link rel="icon" href="data:,">
<style>
  :root { --fg: #1d232b; --muted: #65707d; --line: #dde2e8; --bg: #f5f7fa; --card: #fff; --accent: #2457c5; --bad: #b3261e; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
  header { background: #1d232b; color: #fff; padding: 14px 24px; display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px 20px; }
  header h1 { font-size: 20px; margin: 0; font-weight: 600; }
  header .meta { color: #b8c2cc; font-size: 13px; }
  .badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 12px; font-weight: 600; background: #3a4450; color: #fff; }
  .badge.ok { background: #3ebd93; color: #04291c; }
  main { padding: 18px 24px 40px; max-width: 1500px; margin: 0 auto; }
  section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin-bottom: 16px; }
  section h2 { font-size: 16px; margin: 0 0 10px; }
  section h2 small { color: var(--muted); font-weight: 400; margin-left: 8px; font-size: 13px; }
  .drop { border: 2px dashed #b8c2cc; border-radius: 8px; padding: 18px; text-align: center; color: var(--muted); }
  .drop.over { border-color: var(--accent); background: #eef3fd; color: var(--fg); }
  .drop input[type=file] { margin: 8px; }
  .row { display: flex; flex-wrap: wrap; gap: 10px 18px; align-items: end; }
  label.field { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 2px; }
  label.field input, label.field select { font-size: 14px; padding: 3px 6px; min-width: 90px; }
  label.field input { width: 110px; }
  label.check { display: flex; gap: 6px; align-items: center; font-size: 13px; }
  button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid #9aa5b1; background: #fff; cursor: pointer; }
  button.primary { background: var(--accent); border-color: var(--accent); color: #fff; font-weight: 600; }
  button:disabled { opacity: .5; cursor: default; }
  table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { padding: 3px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; vertical-align: middle; }
  th { color: var(--muted); font-weight: 600; font-size: 12px; }
  td.num { text-align: right; }
  td .examples { color: var(--muted); font-size: 12px; max-width: 320px; overflow: hidden; text-overflow: ellipsis; display: inline-block; vertical-align: bottom; }
  tr.target td { background: #fff6e0; }
  tr.ignored td { color: #9aa5b1; }
  .scroll { overflow-x: auto; }
  .note { color: var(--muted); font-size: 12px; margin-top: 6px; }
  .status { margin-top: 8px; min-height: 20px; }
  .error { background: #fdecec; border: 1px solid #f3b6b6; color: var(--bad); border-radius: 6px; padding: 8px 12px; margin-bottom: 16px; white-space: pre-wrap; }
  .error[hidden] { display: none; }
  progress { width: 260px; vertical-align: middle; }
  iframe#dash { width: 100%; border: 1px solid var(--line); border-radius: 8px; min-height: 420px; background: var(--bg); }
  .results { display: flex; flex-wrap: wrap; gap: 16px; }
  .results > div { flex: 1 1 420px; }
  .answers td { font-weight: 600; }
  pre.config { background: #f0f2f5; padding: 8px; border-radius: 6px; max-height: 260px; overflow: auto; font-size: 12px; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<header>
  <h1>mtljs studio</h1>
  <span class="meta">train a multi-task model beside its single-task baselines, in this page: your data never leaves it</span>
  <span class="badge" id="backend" data-testid="backend">starting…</span>
</header>
<main>
  <div class="error" id="error" data-testid="error" role="alert" hidden></div>

  <section id="data">
    <h2>1 · Data <small id="limits-note"></small></h2>
    <div class="drop" id="drop">
      Drop a CSV, TSV or JSON Lines file here, or pick one:
      <input type="file" id="file" data-testid="file" accept=".csv,.tsv,.tab,.txt,.jsonl,.ndjson,.json,.arff">
      <button id="sample" data-testid="sample">use the sample: UCI Adult, 5,000 rows</button>
    </div>
    <div class="status" id="load-status" data-testid="load-status"></div>
  </section>

  <section id="columns-section" hidden>
    <h2>2 · Columns <small>pick the targets (one task each) and the features; types are inferred as <code>features: all</code> infers them</small></h2>
    <div class="scroll"><table id="columns" data-testid="columns"></table></div>
  </section>

  <section id="settings-section" hidden>
    <h2>3 · Model and training</h2>
    <div class="row">
      <label class="field">architecture<select id="architecture" data-testid="architecture"></select></label>
      <label class="field">encoder layers<input id="hidden" data-testid="hidden" value="64" title="units per layer, e.g. 128, 64"></label>
      <label class="field">head layers<input id="head" data-testid="head" value="" placeholder="none"></label>
      <label class="field">loss weighting<select id="weighting" data-testid="weighting"></select></label>
      <label class="field">gradient aggregator<select id="aggregator" data-testid="aggregator"></select></label>
      <label class="field">aggregated on<select id="mode" data-testid="mode"><option value="param">shared parameters</option><option value="rep">representation</option></select></label>
    </div>
    <div class="row" style="margin-top:10px">
      <label class="field">epochs<input id="epochs" data-testid="epochs" type="number" min="1" max="1000" value="10"></label>
      <label class="field">batch size<input id="batch" data-testid="batch" type="number" min="1" value="128"></label>
      <label class="field">learning rate<input id="lr" data-testid="lr" value="0.001" size="7"></label>
      <label class="field">early stopping patience<input id="patience" data-testid="patience" type="number" min="0" value="3"></label>
      <label class="field">validation share<input id="val" data-testid="val" value="0.1" size="5"></label>
      <label class="field">test share<input id="test" data-testid="test" value="0.2" size="5"></label>
      <label class="field">seed<input id="seed" data-testid="seed" type="number" min="0" value="0"></label>
      <label class="check"><input type="checkbox" id="baselines" data-testid="baselines" checked> single-task baselines (Δm%)</label>
    </div>
    <div class="row" style="margin-top:12px">
      <button class="primary" id="train" data-testid="train" disabled>Train</button>
      <button id="stop" data-testid="stop" disabled>Stop</button>
      <button id="resume" data-testid="resume" disabled title="continue the stopped run where it stopped: it ends as if it had never been stopped">Resume</button>
      <span id="progress-text" data-testid="progress"></span>
      <progress id="progress-bar" max="1" value="0" hidden></progress>
    </div>
    <details style="margin-top:10px"><summary>the same run from the command line</summary>
      <pre class="config" id="cli-config" data-testid="cli-config"></pre>
      <div class="note">Save as config.yaml beside the file and run <code>npx mtl train config.yaml --out runs/studio</code>; for a table too large for the page add <code>stream: true</code> under <code>data</code>.</div>
    </details>
  </section>

  <section id="training-section" hidden>
    <h2>4 · Training <small id="training-note" data-testid="training-note"></small></h2>
    <iframe id="dash" title="training dashboard" data-testid="dashboard"></iframe>
  </section>

  <section id="model-section" hidden>
    <h2>5 · The model <small id="model-note" data-testid="model-note"></small></h2>
    <div class="results">
      <div>
        <h3 style="font-size:14px;margin:0 0 6px">Download</h3>
        <p class="note" style="margin-top:0">A model folder (model.json, weights.bin, manifest.json): <code>npx mtl serve FOLDER</code> serves it, the browser runtime (examples/browser) and <code>loadSavedModel</code> load it.</p>
        <div class="row"><button class="primary" id="download-zip" data-testid="download-zip">Download model (.zip)</button><span id="download-files"></span></div>
      </div>
      <div>
        <h3 style="font-size:14px;margin:0 0 6px">Try it <small class="note">one row, predicted in the page by the downloaded files</small></h3>
        <div class="row" style="margin-bottom:8px"><button id="try-fill" data-testid="try-fill">fill with a test row</button><button class="primary" id="try-predict" data-testid="try-predict">Predict</button></div>
        <div class="scroll"><table id="try-form" data-testid="try-form"></table></div>
        <div class="scroll" style="margin-top:8px"><table id="try-answers" class="answers" data-testid="try-answers"></table></div>
      </div>
    </div>
  </section>
</main>
<script src="studio.js"></script>
</body>
</html>
`;
}

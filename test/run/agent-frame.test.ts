import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { formatAgentReport, runAgent } from '../../src/run/agent.js';
import { DEFAULT_TEXT_SETTINGS } from '../../src/run/text.js';
import { loadSavedModel } from '../../src/models/saved.js';
import { formatTextPrediction, predictText } from '../../src/run/predict-text.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-agent-frame-'));
beforeAll(async () => { await initBackend('wasm'); });
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('mtl agent --frame (SNIPS text-to-frame)', () => {
  it('trains the frame task alone and with intent + slots, reports its metrics and five generated test frames, saves loadable models', async () => {
    const out = path.join(tmp, 'agent');
    const report = await runAgent({
      outDir: out, limit: 48, sentiment: false, frame: true,
      settings: { ...DEFAULT_TEXT_SETTINGS, epochs: 1, encoder: { type: 'bigru', dim: 8, units: 4 }, progress: 'silent' },
    });
    const rows = report.rows.filter((r) => r.frame_exact_match !== undefined);
    expect(rows.map((r) => r.model)).toEqual(['single-task: frame (generate)', 'joint: intent + slots + frame (one model)']);
    for (const r of rows) for (const v of [r.frame_exact_match!, r.frame_token_f1!, r.frame_bleu!]) expect(v >= 0 && v <= 1).toBe(true);
    expect(rows[1]!.intent_accuracy).toBeDefined();
    expect(report.frameExamples!.length).toBe(5);
    // The first SNIPS test utterance and its gold frame (from the raw tags).
    expect(report.frameExamples![0]).toMatchObject({ utterance: 'add sabrina salerno to the grime instrumentals playlist', gold: 'AddToPlaylist(artist=sabrina salerno; playlist=grime instrumentals)' });
    const md = formatAgentReport(report);
    expect(md).toMatch(/\| single-task: frame \(generate\) \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/);
    expect(md).toContain('gold:      AddToPlaylist(artist=sabrina salerno; playlist=grime instrumentals)');
    const saved = await loadSavedModel(path.join(out, 'snips-frame', 'model'));
    expect(saved.tasks.map((t) => t.kind)).toEqual(['multiclass', 'sequence', 'generate']);
    saved.model.dispose();
    // mtl predict on the frame model: the generated frame as text (copy tokens read back as the sentence's words),
    // equal to the report's generated example for the same test utterance.
    const [p] = await predictText(path.join(out, 'snips-frame'), [report.frameExamples![0]!.utterance]);
    const frame = p!.tasks.frame!;
    expect(frame.kind).toBe('generated');
    if (frame.kind !== 'generated') return;
    expect(frame.tokens.some((t) => t.startsWith('<copy:'))).toBe(false);
    expect(frame.text).toBe(report.frameExamples![0]!.generated);
    expect(formatTextPrediction(p!)).toContain(`frame: ${frame.text}`);
    await expect(runAgent({ outDir: path.join(tmp, 'x'), frame: true, corpus: { name: 'c', split: {} as never }, settings: DEFAULT_TEXT_SETTINGS })).rejects.toThrow(/built from SNIPS/);
  });
});

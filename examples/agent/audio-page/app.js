// The spoken-agent page: loads the served audio model with the audio runtime (tfjs inside it) and
// answers the WAV file picked, as `mtl predict <run> --audio file.wav` does, or a recording from the
// microphone (MediaRecorder, decoded by the page's AudioContext, channels averaged, at most as long as the
// model reads). window.lastPrediction holds the last answer object, window.lastRecording the last
// recording's mono samples and rate (tests read both).
import { loadAudioModel } from './mtl/audio-runtime.js';

const $ = (id) => document.getElementById(id);
const status = $('status');
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function setStatus(text, error = false) {
  status.textContent = text;
  status.classList.toggle('error', error);
}

function bars(probabilities, best) {
  return Object.entries(probabilities)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([name, p]) => `<div class="bar${name === best ? ' top' : ''}"><span>${esc(name)}</span><span class="track"><span class="fill" style="width:${(100 * p).toFixed(1)}%"></span></span><span class="v">${p.toFixed(3)}</span></div>`)
    .join('');
}

function render(p) {
  const parts = [];
  for (const [name, a] of Object.entries(p.tasks)) {
    let body = '';
    if (a.kind === 'transcript') body = `<div class="answer" data-testid="answer-${esc(name)}">“${esc(a.text)}”</div>`;
    else if (a.kind === 'class') body = `<div class="answer" data-testid="answer-${esc(name)}">${esc(a.label)}</div>${bars(a.probabilities, a.label)}`;
    else if (a.kind === 'binary') body = `<div class="answer" data-testid="answer-${esc(name)}">${esc(a.label)}</div><div class="note">p(${esc(a.positiveLabel)}) = ${a.probability.toFixed(3)}</div>`;
    else if (a.kind === 'generated') {
      body = `<div class="answer" data-testid="answer-${esc(name)}">${esc(a.text)}</div>${a.text ? '' : '<div class="note">(nothing generated: the decoder ended at once)</div>'}`;
      if (a.frame?.slots.length) body += `<table class="slots"><tr><th>slot</th><th>value</th></tr>${a.frame.slots.map((s) => `<tr><td>${esc(s.type)}</td><td>${esc(s.value)}</td></tr>`).join('')}</table>`;
    } else body = `<div class="note">${a.values.map((v) => v.toFixed(4)).join(', ')}</div>`;
    parts.push(`<div class="task"><h3>${esc(name)}<small>${esc(a.kind)}</small></h3>${body}</div>`);
  }
  const info = `${p.seconds.toFixed(2)} s at ${p.sampleRate} Hz${p.channels > 1 ? ` (${p.channels} channels mixed down)` : ''}; ${p.frames} frames${p.cut ? ' — cut: longer than the model reads' : ''}`;
  $('result').innerHTML = `<div class="note" data-testid="audio-info">${esc(info)}</div>${parts.join('')}`;
  $('result').hidden = false;
}

try {
  const model = await loadAudioModel('./model/');
  const m = model.state;
  $('model-meta').textContent = `${model.tasks.map((t) => `${t.name} (${t.kind})`).join(' · ')} — reads ${(m.maxFrames * m.features.hopMs / 1000).toFixed(1)} s of audio at ${m.sampleRate} Hz, backend ${model.backend}`;
  window.audioModel = model;
  const input = $('wav');
  input.disabled = false;
  const answer = (label, predict, playUrl) => {
    try {
      const t0 = performance.now();
      const p = predict();
      window.lastPrediction = p;
      render(p);
      const player = $('player');
      player.src = playUrl;
      player.hidden = false;
      setStatus(`${label}: answered in ${(performance.now() - t0).toFixed(0)} ms`);
    } catch (e) {
      window.lastPrediction = { error: e.message };
      $('result').hidden = true;
      setStatus(e.message, true);
    }
  };
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    if (!file) return;
    setStatus(`reading ${file.name}…`);
    const bytes = new Uint8Array(await file.arrayBuffer());
    answer(file.name, () => model.predictWav(bytes, file.name), URL.createObjectURL(file));
  });

  // The microphone: record until Stop, or until the model's T frames are full.
  const recordButton = $('record');
  const maxSeconds = (m.maxFrames * m.features.hopMs) / 1000;
  let recording = null;
  const stopRecording = () => recording?.recorder.state === 'recording' && recording.recorder.stop();
  if (navigator.mediaDevices?.getUserMedia && typeof MediaRecorder !== 'undefined') {
    recordButton.disabled = false;
    recordButton.addEventListener('click', async () => {
      if (recording) return stopRecording();
      try {
        const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
        const recorder = new MediaRecorder(stream);
        const chunks = [];
        recorder.ondataavailable = (e) => chunks.push(e.data);
        recorder.onstop = async () => {
          clearTimeout(recording.timer);
          stream.getTracks().forEach((t) => t.stop());
          recording = null;
          recordButton.classList.remove('on');
          recordButton.textContent = '● Record';
          const blob = new Blob(chunks, { type: recorder.mimeType });
          try {
            const ctx = new AudioContext();
            const audio = await ctx.decodeAudioData(await blob.arrayBuffer());
            await ctx.close();
            const samples = new Float32Array(audio.length);
            for (let c = 0; c < audio.numberOfChannels; c++) {
              const d = audio.getChannelData(c);
              for (let i = 0; i < d.length; i++) samples[i] += d[i] / audio.numberOfChannels;
            }
            window.lastRecording = { sampleRate: audio.sampleRate, channels: audio.numberOfChannels, samples };
            answer('recording', () => model.predictSamples(samples, audio.sampleRate, audio.numberOfChannels), URL.createObjectURL(blob));
          } catch (e) {
            window.lastPrediction = { error: `the recording could not be decoded: ${e.message}` };
            setStatus(window.lastPrediction.error, true);
          }
        };
        recording = { recorder, timer: setTimeout(stopRecording, maxSeconds * 1000) };
        recorder.start();
        recordButton.classList.add('on');
        recordButton.textContent = '■ Stop';
        setStatus(`recording… (at most ${maxSeconds.toFixed(1)} s)`);
      } catch (e) {
        setStatus(`no microphone: ${e.message}`, true);
      }
    });
  } else {
    $('input-note').textContent += ' (this browser gives the page no microphone)';
  }
  setStatus(recordButton.disabled ? 'pick a WAV file' : 'pick a WAV file or record');
} catch (e) {
  setStatus(`could not load the model: ${e.message}`, true);
  $('model-meta').textContent = 'no model';
}

// @ts-check
/** The /echo page: runs the media self-test and shows what comes back. */
import { EchoTest, judge } from './echo.js';
import { byId } from './ui/dom.js';

const params = new URLSearchParams(location.search);
const low = params.get('quality') === 'low';
const localVideo = byId('echo-local', HTMLVideoElement);
const echoVideo = byId('echo-video', HTMLVideoElement);
const verdict = byId('verdict');
const verdictText = byId('verdict-text');
const listen = byId('echo-listen', HTMLInputElement);

/** @type {EchoTest | null} */
let test = null;

/** @param {'testing' | 'good' | 'fair' | 'poor' | 'failed'} kind @param {string} text */
function say(kind, text) {
  verdict.dataset.verdict = kind;
  verdictText.textContent = text;
}

/** @param {string} id @param {string} text */
function show(id, text) {
  byId(id).textContent = text;
}

async function run() {
  test?.close();
  for (const id of ['stat-rtt', 'stat-bitrate-out', 'stat-bitrate-in', 'stat-loss', 'stat-frames', 'stat-audio', 'stat-connect', 'stat-srtp']) show(id, '–');
  say('testing', 'Starting the test…');
  document.body.dataset.state = 'connecting';
  /** @type {MediaStream} */
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: params.get('audio') !== '0',
      video: params.get('video') === '0' ? false : (low ? { width: 160, height: 120, frameRate: 15 } : { width: 640, height: 480 }),
    });
  } catch (e) {
    const name = e instanceof DOMException ? e.name : '';
    say('failed', name === 'NotAllowedError'
      ? 'The test needs your camera and microphone. Allow them in the address bar and run it again.'
      : 'No camera or microphone could be opened, so there is nothing to send.');
    document.body.dataset.state = 'failed';
    return;
  }
  localVideo.srcObject = stream;
  const current = new EchoTest({ stream });
  test = current;
  // @ts-ignore — a handle for people debugging and for the browser tests.
  window.huddleEcho = current;
  const returned = new MediaStream();
  echoVideo.srcObject = returned;
  echoVideo.muted = !listen.checked;
  current.addEventListener('track', (e) => {
    const { track } = /** @type {CustomEvent<{ track: MediaStreamTrack }>} */ (e).detail;
    returned.addTrack(track);
  });
  current.addEventListener('state', (e) => {
    const { state } = /** @type {CustomEvent<{ state: string }>} */ (e).detail;
    document.body.dataset.state = state;
    if (state === 'connecting') say('testing', 'Connecting to the media server…');
    if (state === 'connected') say('testing', 'Connected. Waiting for your media to come back…');
    if (state === 'failed') say('failed', `Your browser could not exchange media with the server. ${current.error}`);
  });
  current.addEventListener('stats', (e) => {
    const s = /** @type {CustomEvent<import('./echo.js').EchoStats>} */ (e).detail;
    show('stat-rtt', s.rttMs === null ? '–' : `${s.rttMs} ms`);
    show('stat-bitrate-out', `${Math.round(s.sendKbps)} kbit/s`);
    show('stat-bitrate-in', `${Math.round(s.receiveKbps)} kbit/s`);
    show('stat-loss', `${s.lossPercent.toFixed(1)} %`);
    show('stat-frames', String(s.framesDecoded));
    show('stat-audio', s.audioPacketsReceived > 0 ? `${s.audioPacketsReceived} packets` : '–');
    show('stat-connect', s.connectMs === null ? '–' : `${s.connectMs} ms`);
    show('stat-srtp', s.srtpCipher ?? '–');
    if (current.state === 'connected') {
      const { verdict: kind, text } = judge(s);
      say(kind, text);
    }
  });
  await current.start();
}

listen.addEventListener('change', () => { echoVideo.muted = !listen.checked; });
byId('echo-restart').addEventListener('click', () => { run().catch(() => {}); });
byId('echo-screen').addEventListener('click', async () => {
  if (!test || test.state !== 'connected') return;
  try {
    const screen = await navigator.mediaDevices.getDisplayMedia({ video: true });
    const [track] = screen.getVideoTracks();
    if (track) await test.addTrack(track);
  } catch {
    // The person cancelled the picker.
  }
});
window.addEventListener('pagehide', () => test?.close());
run().catch(() => {});

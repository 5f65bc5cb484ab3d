// @ts-check
/**
 * Wires the page: home or pre-join → call → left / full. The call logic lives in call.js (DOM-free);
 * this module owns the local camera and microphone and turns call events into UI updates.
 */
import { Call } from './call.js';
import { acquire, describeProblem, LevelMeter } from './media.js';
import { byId } from './ui/dom.js';
import { Grid } from './ui/grid.js';
import { ChatPanel } from './ui/chat.js';
import { Notices } from './ui/notice.js';
import { Controls } from './ui/controls.js';
import { DevicePicker } from './ui/devices.js';
import { JoinScreen } from './ui/home.js';
import { icons } from './ui/icons.js';
import { StatsReader, describe } from './stats.js';
import { validName, validRoom } from './names.js';
import { warmUpWebRtc } from './mesh.js';

/** @typedef {import('./media.js').MediaProblem} MediaProblem */
/** @typedef {import('./call.js').Participant} Participant */
/** @typedef {import('./call.js').Notice} Notice */
/** @typedef {import('./call.js').ChatMessage} ChatMessage */
/** @typedef {import('./call.js').ClosedDetail} ClosedDetail */
/** @typedef {import('./transport.js').LocalTracks} Local */
/** @typedef {'audio' | 'video'} Kind */

const VIEWS = { home: 'join-view', prejoin: 'join-view', call: 'call-view', full: 'full-view', left: 'left-view' };
const PROBLEM_CODES = ['permission-denied', 'device-busy', 'no-device', 'unsupported'];
/** Remote audio level (RTP audio-level extension, linear) above which a participant is "speaking". */
const REMOTE_SPEAKING = 0.03;
/** Own level (LevelMeter scale) above which we are "speaking". */
const SELF_SPEAKING = 0.06;
const SPEAKING_HOLD_MS = 700;

const notices = new Notices(byId('notice'));
const params = new URLSearchParams(location.search);
const pathRoom = /^\/r\/([^/]+)\/?$/.exec(location.pathname);

/** @type {Local} */
const local = { stream: new MediaStream(), audio: null, video: null };
/** @type {Call | null} */
let call = null;
/** @type {JoinScreen | null} */
let joinScreen = null;
/** @type {LevelMeter | null} */
let meter = null;
let wantAudio = params.get('audio') !== '0';
let wantVideo = params.get('video') !== '0';
/** Why own media is missing, if it is. @type {{ problem: MediaProblem, missing: { audio: boolean, video: boolean } } | null} */
let mediaProblem = null;
/** Device work in progress, one per kind, so double clicks do not open a device twice. */
const pending = /** @type {Record<Kind, Promise<void> | null>} */ ({ audio: null, video: null });
/** @type {{ room: string, name: string } | null} */
let lastJoin = null;

/** Debug and benchmark hook: `window.huddle.call` is the current Call. */
const hook = /** @type {{ huddle?: { call: Call | null } }} */ (/** @type {unknown} */ (window));
hook.huddle = { call: null };

const devices = new DevicePicker({
  camera: byId('camera-select', HTMLSelectElement),
  mic: byId('mic-select', HTMLSelectElement),
  quality: byId('quality-select', HTMLSelectElement),
  onChange: (kind, deviceId) => void exclusive(kind, () => switchDevice(kind, deviceId)),
  onQuality: () => void (local.video && exclusive('video', () => switchDevice('video', devices.cameraId))),
  onDevicesChanged: () => void recoverUnpluggedDevices(),
});
const queryQuality = params.get('quality');
devices.setQuality(queryQuality === 'low' || queryQuality === 'medium' || queryQuality === 'high'
  ? queryQuality : DevicePicker.storedQuality() ?? 'medium');

// ---------------------------------------------------------------------------------------------
// Views

/** @param {keyof typeof VIEWS} view */
function show(view) {
  document.body.dataset.view = view;
  for (const id of new Set(Object.values(VIEWS))) byId(id).hidden = id !== VIEWS[view];
  const slot = byId(view === 'call' ? 'settings-call-slot' : 'settings-join-slot');
  slot.append(byId('settings-panel'));
  if (view !== 'call') controls.setSettingsOpen(false);
}

// ---------------------------------------------------------------------------------------------
// Local media

/**
 * Runs device work for one kind at a time; a second request while one runs is dropped.
 * @param {Kind} kind @param {() => Promise<void>} work
 */
async function exclusive(kind, work) {
  if (pending[kind]) return;
  const job = work().catch((error) => console.warn('huddle: device change failed', error));
  pending[kind] = job;
  try {
    await job;
  } finally {
    pending[kind] = null;
  }
}

/** Updates the "why is my media missing" state and its notice. */
function updateProblem() {
  const missing = { audio: wantAudio && !local.audio, video: wantVideo && !local.video };
  if (mediaProblem && !missing.audio && !missing.video) mediaProblem = null;
  if (mediaProblem) mediaProblem.missing = missing;
  for (const code of PROBLEM_CODES) if (code !== mediaProblem?.problem) notices.clear(code);
  if (mediaProblem) notices.set(mediaProblem.problem, describeProblem(mediaProblem.problem, missing).text);
  joinScreen?.showProblem(mediaProblem ? describeProblem(mediaProblem.problem, missing).short : null);
}

/** @param {MediaProblem | null} problem @param {Kind[]} kinds the kinds the attempt was for */
function reportProblem(problem, kinds) {
  if (problem) {
    mediaProblem = { problem, missing: { audio: kinds.includes('audio'), video: kinds.includes('video') } };
  }
  updateProblem();
}

/** @param {Kind} kind @param {MediaStreamTrack | null} track */
async function putTrack(kind, track) {
  if (call && !call.left) {
    await call.setTrack(kind, track);
  } else {
    const old = kind === 'audio' ? local.audio : local.video;
    if (track) local.stream.addTrack(track);
    if (kind === 'audio') local.audio = track;
    else local.video = track;
    if (old) {
      local.stream.removeTrack(old);
      old.stop();
    }
  }
  if (track) track.addEventListener('ended', () => void exclusive(kind, () => onTrackEnded(kind, track)));
  if (kind === 'audio') restartMeter();
  render();
}

/** A device was unplugged or revoked: fall back to another one. @param {Kind} kind @param {MediaStreamTrack} track */
async function onTrackEnded(kind, track) {
  const current = kind === 'audio' ? local.audio : local.video;
  if (current !== track) return;
  await devices.refresh();
  const got = await acquire({ audio: kind === 'audio', video: kind === 'video', quality: devices.quality });
  await putTrack(kind, got[kind]);
  reportProblem(got[kind] ? null : got.problem ?? 'no-device', [kind]);
  devices.showCurrent(local.audio, local.video);
}

async function recoverUnpluggedDevices() {
  for (const kind of /** @type {const} */ (['audio', 'video'])) {
    const track = kind === 'audio' ? local.audio : local.video;
    if (track && !devices.has(kind, track.getSettings().deviceId)) await exclusive(kind, () => onTrackEnded(kind, track));
  }
  devices.showCurrent(local.audio, local.video);
}

/** The person picked another device in a select. @param {Kind} kind @param {string | undefined} deviceId */
async function switchDevice(kind, deviceId) {
  const on = kind === 'audio' ? !!local.audio : !!local.video;
  if (!on) return; // Used the next time it is turned on.
  const got = await acquire({
    audio: kind === 'audio', video: kind === 'video', quality: devices.quality,
    audioDeviceId: kind === 'audio' ? deviceId : undefined, videoDeviceId: kind === 'video' ? deviceId : undefined,
  });
  const track = got[kind];
  if (!track) {
    const problem = got.problem ?? 'no-device';
    notices.info(`Could not switch: ${describeProblem(problem, { audio: kind === 'audio', video: kind === 'video' }).short}.`);
    devices.showCurrent(local.audio, local.video);
    return;
  }
  await putTrack(kind, track);
}

/** Turns the camera or microphone on (opening the device) or off (stopping it). @param {Kind} kind @param {boolean} on */
async function setDevice(kind, on) {
  if (kind === 'audio') wantAudio = on;
  else wantVideo = on;
  if (!on) {
    await putTrack(kind, null);
    updateProblem();
    return;
  }
  const deviceId = kind === 'audio' ? devices.micId : devices.cameraId;
  let got = await acquire({
    audio: kind === 'audio', video: kind === 'video', quality: devices.quality,
    audioDeviceId: kind === 'audio' ? deviceId : undefined, videoDeviceId: kind === 'video' ? deviceId : undefined,
  });
  if (!got[kind] && deviceId && got.problem !== 'permission-denied') {
    // The remembered device may be gone; try the default one.
    got = await acquire({ audio: kind === 'audio', video: kind === 'video', quality: devices.quality });
  }
  await putTrack(kind, got[kind]);
  reportProblem(got[kind] ? null : got.problem ?? 'no-device', [kind]);
  await devices.refresh();
  devices.showCurrent(local.audio, local.video);
}

/** Acquires the media the person asked for, telling them what is missing and why. */
async function acquireInitial() {
  let got = await acquire({ audio: wantAudio, video: wantVideo, quality: devices.quality,
    audioDeviceId: devices.micId, videoDeviceId: devices.cameraId });
  if (((wantAudio && !got.audio) || (wantVideo && !got.video)) && got.problem !== 'permission-denied'
      && (devices.micId || devices.cameraId)) {
    // A remembered device may be unplugged: try the defaults for what is still missing.
    const retry = await acquire({ audio: wantAudio && !got.audio, video: wantVideo && !got.video, quality: devices.quality });
    got = { audio: got.audio ?? retry.audio, video: got.video ?? retry.video, problem: retry.problem ?? got.problem };
  }
  if (got.audio) await putTrack('audio', got.audio);
  if (got.video) await putTrack('video', got.video);
  const missing = (wantAudio && !got.audio) || (wantVideo && !got.video);
  mediaProblem = null;
  reportProblem(missing ? got.problem ?? 'no-device' : null, [
    ...(wantAudio && !got.audio ? /** @type {Kind[]} */ (['audio']) : []),
    ...(wantVideo && !got.video ? /** @type {Kind[]} */ (['video']) : []),
  ]);
  await devices.refresh();
  devices.showCurrent(local.audio, local.video);
}

function stopLocal() {
  for (const track of local.stream.getTracks()) {
    track.stop();
    local.stream.removeTrack(track);
  }
  local.audio = null;
  local.video = null;
  meter?.close();
  meter = null;
}

// ---------------------------------------------------------------------------------------------
// Level meter (home) and speaking indicators (call)

function restartMeter() {
  meter?.close();
  meter = null;
  if (!local.audio) return;
  try {
    meter = new LevelMeter(local.audio);
  } catch (error) {
    console.warn('huddle: no level meter', error);
  }
}

function tickMeter() {
  if (joinScreen) joinScreen.setLevel(meter && local.audio?.enabled ? meter.read() : 0);
  requestAnimationFrame(tickMeter);
}

/** @type {Map<string | null, number>} participant id (null: self) → until when it counts as speaking */
const speakingUntil = new Map();
setInterval(() => {
  if (!call || document.body.dataset.view !== 'call') return;
  const now = Date.now();
  /** @param {string | null} id @param {boolean} loud */
  const mark = (id, loud) => {
    if (loud) speakingUntil.set(id, now + SPEAKING_HOLD_MS);
    grid.setSpeaking(id, (speakingUntil.get(id) ?? 0) > now);
  };
  mark(null, !!meter && call.mediaState.audio && meter.read() > SELF_SPEAKING);
  for (const p of call.participants.values()) mark(p.id, p.media.audio && call.audioLevel(p.id) > REMOTE_SPEAKING);
}, 150);

// ---------------------------------------------------------------------------------------------
// Join screen

async function showJoinScreen() {
  const room = pathRoom ? decodeURIComponent(pathRoom[1]) : null;
  show(room ? 'prejoin' : 'home');
  document.title = room ? `Join ${room} · Huddle` : 'Huddle';
  joinScreen = new JoinScreen({
    room,
    audioOn: wantAudio,
    videoOn: wantVideo,
    onToggle: (kind, on) => void exclusive(kind, () => setDevice(kind, on)),
    onJoin: ({ room: chosen, name }) => {
      const url = `/r/${encodeURIComponent(chosen)}`;
      if (location.pathname === url) history.replaceState(null, '', url);
      else history.pushState(null, '', url);
      joinScreen = null;
      startCall(chosen, name);
    },
  });
  requestAnimationFrame(tickMeter);
  await acquireInitial();
  render();
}

// ---------------------------------------------------------------------------------------------
// Call UI

const grid = new Grid(byId('grid'), { onAutoplayBlocked: () => { byId('sound-unlock').hidden = false; } });
byId('sound-unlock').addEventListener('click', () => {
  grid.unmuteAll();
  byId('sound-unlock').hidden = true;
});

const chat = new ChatPanel({
  panel: byId('chat-panel'),
  log: byId('chat-log'),
  form: byId('chat-form', HTMLFormElement),
  input: byId('chat-input', HTMLTextAreaElement),
  toggle: byId('toggle-chat', HTMLButtonElement),
  close: byId('chat-close', HTMLButtonElement),
  badge: byId('chat-badge'),
  onSend: (text) => {
    if (!call || !text.trim()) return false;
    if (call.participants.size === 0) {
      notices.info('Nobody else is here yet — share the room link.');
      return false;
    }
    if (!call.sendChat(text)) {
      notices.info('Not sent: still connecting to the others.');
      return false;
    }
    return true;
  },
});

const controls = new Controls({
  onMic: () => {
    if (!call) return;
    if (!local.audio) void exclusive('audio', () => setDevice('audio', true));
    else call.setMicMuted(!call.micMuted);
    render();
  },
  onCamera: () => void exclusive('video', () => setDevice('video', !local.video)),
  onLeave: () => leave(),
});

const copyButton = byId('copy-link', HTMLButtonElement);
copyButton.insertAdjacentHTML('afterbegin', icons.link);
byId('waiting-copy').addEventListener('click', () => copyButton.click());
copyButton.addEventListener('click', async () => {
  const link = `${location.origin}/r/${encodeURIComponent(call?.room ?? lastJoin?.room ?? '')}`;
  try {
    await navigator.clipboard.writeText(link);
    notices.info('Link copied — send it to the people you want to meet.');
  } catch {
    notices.info(link);
  }
});
byId('people-icon').innerHTML = icons.people;

byId('rejoin').addEventListener('click', async () => {
  if (!lastJoin) return;
  await acquireInitial();
  startCall(lastJoin.room, lastJoin.name);
});

/** @param {string} room @param {string} name */
function startCall(room, name) {
  lastJoin = { room, name };
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const current = new Call({ url: `${scheme}://${location.host}/ws`, room, name, local });
  call = current;
  hook.huddle = { call: current };
  byId('room-label').textContent = room;
  document.title = `${room} · Huddle`;
  show('call');
  chat.clear();
  grid.clearRemote();
  renderPeople();

  current.addEventListener('mode-changed', () => chat.setVia(current.mode === 'sfu' ? 'server' : 'p2p'));
  watchStats(current);
  current.addEventListener('joined', () => {
    chat.setVia(current.mode === 'sfu' ? 'server' : 'p2p');
    grid.sync([...current.participants.values()]);
    renderPeople();
  });
  current.addEventListener('participants-changed', (e) => {
    grid.sync(/** @type {CustomEvent<Participant[]>} */ (e).detail);
    renderPeople();
  });
  current.addEventListener('participant-joined', (e) => chat.system(`${/** @type {CustomEvent<Participant>} */ (e).detail.name} joined`));
  current.addEventListener('participant-left', (e) => chat.system(`${/** @type {CustomEvent<{ name: string }>} */ (e).detail.name} left`));
  current.addEventListener('media-changed', (e) => grid.update(/** @type {CustomEvent<Participant>} */ (e).detail));
  current.addEventListener('remote-stream', (e) => {
    const { peerId, stream } = /** @type {CustomEvent<{ peerId: string, stream: MediaStream }>} */ (e).detail;
    grid.setStream(peerId, stream);
  });
  current.addEventListener('peer-state', (e) => {
    const { peerId, state } = /** @type {CustomEvent<{ peerId: string, state: string }>} */ (e).detail;
    grid.setConnection(peerId, state);
  });
  current.addEventListener('chat', (e) => {
    const m = /** @type {CustomEvent<ChatMessage>} */ (e).detail;
    chat.add({ name: m.name, text: m.text, ts: m.ts, self: m.from === null, via: m.via });
  });
  current.addEventListener('local-changed', () => render());
  current.addEventListener('connection', (e) => {
    const { state } = /** @type {CustomEvent<{ state: string }>} */ (e).detail;
    const status = byId('call-status');
    status.textContent = state === 'reconnecting' ? 'Reconnecting…' : state === 'connecting' ? 'Connecting…' : '';
    status.dataset.state = state;
  });
  current.addEventListener('notice', (e) => {
    const n = /** @type {CustomEvent<Notice>} */ (e).detail;
    if (n.active) notices.set(n.code, n.message, { retryAt: n.retryAt });
    else notices.clear(n.code);
  });
  current.addEventListener('closed', (e) => {
    const closed = /** @type {CustomEvent<ClosedDetail>} */ (e).detail;
    if (call === current) call = null;
    if (closed.reason === 'left') return; // leave() already shows the page.
    stopLocal();
    grid.clearRemote();
    notices.clear('server-unreachable');
    if (closed.code === 'room-full') {
      byId('full-text').textContent = `Everyone who fits is already in “${room}”.`;
      show('full');
    } else {
      showLeft('Could not join', closed.message || 'The server refused to join this room.');
    }
  });

  current.start();
  render();
}

function leave() {
  call?.leave();
  call = null;
  grid.clearRemote();
  stopLocal();
  notices.clear('server-unreachable');
  for (const code of PROBLEM_CODES) notices.clear(code);
  showLeft('You left the meeting', '');
}

/** @param {string} title @param {string} text */
function showLeft(title, text) {
  byId('left-title').textContent = title;
  byId('left-text').textContent = text;
  byId('left-text').hidden = !text;
  show('left');
}

function renderPeople() {
  const count = (call?.participants.size ?? 0) + 1;
  const label = byId('people-count');
  label.textContent = String(count);
  byId('waiting').hidden = !call || !call.id || count > 1;
  byId('people').title = count === 1 ? 'Only you so far' : `${count} people in the call`;
}

function render() {
  const micOn = !!local.audio && !(call?.micMuted ?? false);
  const cameraOn = !!local.video;
  if (joinScreen) joinScreen.showPreview(local.stream, cameraOn);
  if (call) {
    controls.render({ micOn, cameraOn });
    grid.setSelf({
      name: call.name,
      stream: local.stream,
      media: { audio: micOn, video: cameraOn },
      problem: mediaProblem ? describeProblem(mediaProblem.problem, mediaProblem.missing).short : null,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Page lifecycle

window.addEventListener('pagehide', () => call?.leave());
window.addEventListener('pageshow', (e) => {
  // Back from the back/forward cache: the socket and the devices are gone; start afresh.
  if (e.persisted) location.reload();
});
window.addEventListener('popstate', () => {
  call?.leave();
  location.reload();
});

async function main() {
  void warmUpWebRtc();
  const name = params.get('name');
  if (pathRoom && name !== null) {
    const room = decodeURIComponent(pathRoom[1]);
    if (!validRoom(room) || !validName(name)) {
      await showJoinScreen();
      return;
    }
    history.replaceState(null, '', `/r/${encodeURIComponent(room.toLowerCase())}`);
    await acquireInitial();
    startCall(room.toLowerCase(), name.trim());
    return;
  }
  await showJoinScreen();
}

void main();

/**
 * The statistics overlay: with "Show connection statistics" on, every remote tile shows its bitrate,
 * packet loss and round trip, refreshed each second from getStats.
 * @param {Call} current
 */
function watchStats(current) {
  const toggle = byId('stats-toggle', HTMLInputElement);
  const reader = new StatsReader();
  const tick = async () => {
    if (current.left) {
      clearInterval(timer);
      return;
    }
    for (const id of grid.ids) {
      if (!toggle.checked) {
        grid.setStats(id, null);
        continue;
      }
      const source = current.statsSource(id);
      if (!source) continue;
      try {
        grid.setStats(id, describe(await reader.read(id, source)));
      } catch {
        // The connection closed between the lookup and getStats.
      }
    }
  };
  const timer = setInterval(() => { tick().catch(() => {}); }, 1000);
  toggle.addEventListener('change', () => { tick().catch(() => {}); });
}

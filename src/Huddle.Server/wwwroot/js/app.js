// @ts-check
/** Wires the page: join screen → call → left / full. */
import { Call } from './call.js';
import { acquire, LevelMeter, PROBLEM_TEXT } from './media.js';
import { byId } from './ui/dom.js';
import { Grid } from './ui/grid.js';
import { ChatPanel } from './ui/chat.js';
import { Notices } from './ui/notice.js';
import { Controls } from './ui/controls.js';
import { DevicePicker } from './ui/devices.js';
import { JoinScreen } from './ui/home.js';
import { validName, validRoom } from './names.js';
import { warmUpWebRtc } from './mesh.js';

/** @typedef {import('./media.js').MediaProblem} MediaProblem */
/** @typedef {import('./media.js').Quality} Quality */
/** @typedef {{ stream: MediaStream, audio: MediaStreamTrack | null, video: MediaStreamTrack | null }} Local */

const VIEWS = { home: 'join-view', prejoin: 'join-view', call: 'call-view', full: 'full-view', left: 'left-view' };
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

const devices = new DevicePicker({
  camera: byId('camera-select', HTMLSelectElement),
  mic: byId('mic-select', HTMLSelectElement),
  quality: byId('quality-select', HTMLSelectElement),
  onChange: (kind, deviceId) => void switchDevice(kind, deviceId),
  onQuality: () => void (local.video && switchDevice('video', devices.cameraId)),
  onDevicesChanged: () => void recoverUnpluggedDevices(),
});
const queryQuality = params.get('quality');
devices.setQuality(queryQuality === 'low' || queryQuality === 'medium' || queryQuality === 'high'
  ? queryQuality : DevicePicker.storedQuality() ?? 'medium');

/** @param {keyof typeof VIEWS} view */
function show(view) {
  document.body.dataset.view = view;
  for (const id of new Set(Object.values(VIEWS))) byId(id).hidden = id !== VIEWS[view];
  const slot = byId(view === 'call' ? 'settings-call-slot' : 'settings-join-slot');
  slot.append(byId('settings-panel'));
}

/** @param {MediaProblem | null} problem */
function reportProblem(problem) {
  for (const code of Object.keys(PROBLEM_TEXT)) notices.clear(code);
  if (problem) notices.set(problem, PROBLEM_TEXT[problem]);
}

/** @param {'audio' | 'video'} kind @param {MediaStreamTrack | null} track */
async function putTrack(kind, track) {
  if (call) {
    await call.setTrack(kind, track);
  } else {
    const old = kind === 'audio' ? local.audio : local.video;
    if (old) {
      local.stream.removeTrack(old);
      old.stop();
    }
    if (track) local.stream.addTrack(track);
    if (kind === 'audio') local.audio = track;
    else local.video = track;
  }
  if (track) track.addEventListener('ended', () => void onTrackEnded(kind, track));
  if (kind === 'audio') restartMeter();
  render();
}

/** A device was unplugged or revoked: fall back to another one. @param {'audio' | 'video'} kind @param {MediaStreamTrack} track */
async function onTrackEnded(kind, track) {
  const current = kind === 'audio' ? local.audio : local.video;
  if (current !== track) return;
  await devices.refresh();
  const got = await acquire({ audio: kind === 'audio', video: kind === 'video', quality: devices.quality });
  await putTrack(kind, got[kind]);
  if (!got[kind]) reportProblem(got.problem ?? 'no-device');
}

async function recoverUnpluggedDevices() {
  for (const kind of /** @type {const} */ (['audio', 'video'])) {
    const track = kind === 'audio' ? local.audio : local.video;
    if (track && !devices.has(kind, track.getSettings().deviceId)) await onTrackEnded(kind, track);
  }
  devices.showCurrent(local.audio, local.video);
}

/** @param {'audio' | 'video'} kind @param {string | undefined} deviceId */
async function switchDevice(kind, deviceId) {
  const on = kind === 'audio' ? !!local.audio : !!local.video;
  if (!on) return; // Used the next time it is turned on.
  const got = await acquire({
    audio: kind === 'audio', video: kind === 'video', quality: devices.quality,
    audioDeviceId: kind === 'audio' ? deviceId : undefined, videoDeviceId: kind === 'video' ? deviceId : undefined,
  });
  const track = got[kind];
  if (!track) {
    reportProblem(got.problem);
    return;
  }
  await putTrack(kind, track);
}

/** @param {'audio' | 'video'} kind @param {boolean} on */
async function setDevice(kind, on) {
  if (!on) {
    await putTrack(kind, null);
    return;
  }
  const got = await acquire({
    audio: kind === 'audio', video: kind === 'video', quality: devices.quality,
    audioDeviceId: kind === 'audio' ? devices.micId : undefined, videoDeviceId: kind === 'video' ? devices.cameraId : undefined,
  });
  if (!got[kind] && (kind === 'audio' ? devices.micId : devices.cameraId)) {
    // The remembered device may be gone; try the default one.
    Object.assign(got, await acquire({ audio: kind === 'audio', video: kind === 'video', quality: devices.quality }));
  }
  reportProblem(got[kind] ? null : got.problem);
  await putTrack(kind, got[kind]);
  await devices.refresh();
  devices.showCurrent(local.audio, local.video);
}

function restartMeter() {
  meter?.close();
  meter = local.audio && document.body.dataset.view !== 'call' ? new LevelMeter(local.audio) : null;
}

function tickMeter() {
  if (meter && joinScreen) joinScreen.setLevel(meter.read());
  requestAnimationFrame(tickMeter);
}

/** Acquires the media the person asked for, telling them what is missing and why. */
async function acquireInitial() {
  const got = await acquire({ audio: wantAudio, video: wantVideo, quality: devices.quality,
    audioDeviceId: devices.micId, videoDeviceId: devices.cameraId });
  if ((wantAudio && !got.audio) || (wantVideo && !got.video)) {
    if (got.problem !== 'permission-denied' && (devices.micId || devices.cameraId)) {
      const retry = await acquire({ audio: wantAudio && !got.audio, video: wantVideo && !got.video, quality: devices.quality });
      got.audio ??= retry.audio;
      got.video ??= retry.video;
    }
  }
  if (got.audio) await putTrack('audio', got.audio);
  if (got.video) await putTrack('video', got.video);
  const missing = (wantAudio && !got.audio) || (wantVideo && !got.video);
  const problem = missing ? got.problem ?? 'no-device' : null;
  reportProblem(problem);
  await devices.refresh();
  devices.showCurrent(local.audio, local.video);
  return problem;
}

/** @type {MediaProblem | null} */
let mediaProblem = null;

async function showJoinScreen() {
  const room = pathRoom ? decodeURIComponent(pathRoom[1]) : null;
  show(room ? 'prejoin' : 'home');
  joinScreen = new JoinScreen({
    room,
    onToggle: async (kind, on) => {
      if (kind === 'audio') wantAudio = on;
      else wantVideo = on;
      await setDevice(kind, on);
    },
    onJoin: ({ room: chosen, name }) => {
      history.replaceState(null, '', `/r/${encodeURIComponent(chosen)}`);
      meter?.close();
      meter = null;
      joinScreen = null;
      startCall(chosen, name);
    },
  });
  requestAnimationFrame(tickMeter);
  mediaProblem = await acquireInitial();
  render();
}

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
      notices.info('Nobody else is here yet.');
      return false;
    }
    return call.sendChat(text);
  },
});

const controls = new Controls({
  onMic: () => {
    if (!call) return;
    if (!local.audio) void setDevice('audio', true);
    else call.setMicMuted(!call.micMuted);
    render();
  },
  onCamera: () => void setDevice('video', !local.video),
  onLeave: () => leave('You left the meeting'),
});

byId('copy-link').addEventListener('click', async () => {
  const link = `${location.origin}/r/${encodeURIComponent(call?.room ?? '')}`;
  try {
    await navigator.clipboard.writeText(link);
    notices.info('Link copied — send it to the people you want to meet.');
  } catch {
    notices.info(link);
  }
});

byId('rejoin').addEventListener('click', () => {
  if (lastJoin) void rejoin(lastJoin.room, lastJoin.name);
});

/** @type {{ room: string, name: string } | null} */
let lastJoin = null;

/** @param {string} room @param {string} name */
async function rejoin(room, name) {
  mediaProblem = await acquireInitial();
  startCall(room, name);
}

/** @param {string} room @param {string} name */
function startCall(room, name) {
  lastJoin = { room, name };
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const current = new Call({ url: `${scheme}://${location.host}/ws`, room, name, local });
  call = current;
  /** @type {any} */ (window).huddle = { call: current };
  byId('room-label').textContent = room;
  document.title = `${room} · Huddle`;
  show('call');
  chat.parts.log.replaceChildren();

  current.addEventListener('joined', () => {
    grid.clearRemote();
    for (const p of current.participants.values()) grid.add(p);
    render();
  });
  current.addEventListener('participant-joined', (e) => {
    const p = /** @type {CustomEvent<import('./call.js').Participant>} */ (e).detail;
    grid.add(p);
    chat.system(`${p.name} joined`);
    render();
  });
  current.addEventListener('participant-left', (e) => {
    const { id } = /** @type {CustomEvent<{ id: string }>} */ (e).detail;
    const name = grid.tiles.get(id)?.root.dataset.name;
    grid.remove(id);
    if (name) chat.system(`${name} left`);
    render();
  });
  current.addEventListener('participants-reset', () => grid.clearRemote());
  current.addEventListener('media-changed', (e) => grid.update(/** @type {CustomEvent} */ (e).detail));
  current.addEventListener('remote-stream', (e) => {
    const { peerId, stream } = /** @type {CustomEvent<{ peerId: string, stream: MediaStream }>} */ (e).detail;
    grid.setStream(peerId, stream);
  });
  current.addEventListener('chat', (e) => {
    const m = /** @type {CustomEvent<{ from: string | null, name: string, text: string, ts: number, via: string }>} */ (e).detail;
    chat.add({ name: m.name, text: m.text, ts: m.ts, self: m.from === null, via: m.via });
  });
  current.addEventListener('local-changed', () => render());
  current.addEventListener('connection', (e) => {
    const { state, retryInMs } = /** @type {CustomEvent<{ state: string, retryInMs?: number }>} */ (e).detail;
    const status = byId('call-status');
    if (state === 'reconnecting') {
      const seconds = Math.max(1, Math.round((retryInMs ?? 0) / 1000));
      notices.set('server-unreachable', `Can't reach the Huddle server — retrying in ${seconds} s…`);
      status.textContent = 'Reconnecting…';
    } else if (state === 'connected') {
      notices.clear('server-unreachable');
      status.textContent = '';
    } else {
      status.textContent = 'Connecting…';
    }
  });
  current.addEventListener('failed', (e) => {
    const { code, message } = /** @type {CustomEvent<{ code: string, message: string }>} */ (e).detail;
    stopLocal();
    if (code === 'room-full') {
      byId('full-text').textContent = message || 'Everyone who fits is already here.';
      notices.set('room-full', 'This room is full.');
      show('full');
    } else {
      leave(message || 'The server refused to join this room.');
    }
  });

  current.start();
  render();
}

/** @param {string} reason */
function leave(reason) {
  call?.leave();
  call = null;
  grid.clearRemote();
  stopLocal();
  notices.clear('server-unreachable');
  byId('left-text').textContent = reason === 'You left the meeting' ? '' : reason;
  byId('left-title').textContent = reason === 'You left the meeting' ? reason : 'Disconnected';
  show('left');
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
      problem: mediaProblem && (!local.audio || !local.video) ? PROBLEM_TEXT[mediaProblem] : null,
    });
  }
}

window.addEventListener('pagehide', () => call?.leave());

async function main() {
  void warmUpWebRtc();
  const name = params.get('name');
  if (pathRoom && name !== null) {
    const room = decodeURIComponent(pathRoom[1]);
    if (!validRoom(room) || !validName(name)) {
      await showJoinScreen();
      return;
    }
    history.replaceState(null, '', `/r/${encodeURIComponent(room)}`);
    mediaProblem = await acquireInitial();
    startCall(room.toLowerCase(), name.trim());
    return;
  }
  await showJoinScreen();
}

void main();

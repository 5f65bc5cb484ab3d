// @ts-check
/**
 * A call: the signaling socket, the media transport chosen by the room's mode, the participant
 * list and the local media state. DOM-free; the UI listens to its events.
 *
 * Events:
 * - `joined`, `participant-joined` (detail Participant), `participant-left` (detail { id }),
 * - `media-changed` (detail Participant), `remote-stream` (detail { peerId, stream }),
 * - `chat` (detail { from: string | null, name, text, ts, via }), `local-changed`,
 * - `connection` (detail { state: 'connecting' | 'connected' | 'reconnecting', retryInMs? }),
 * - `failed` (detail { code, message }) for errors that end the attempt (room-full, invalid-name …).
 */
import { Signaling } from './signaling.js';
import { MeshTransport } from './mesh.js';

/** @typedef {import('./signaling.js').Message} Message */
/** @typedef {{ audio: boolean, video: boolean }} MediaState */
/** @typedef {{ id: string, name: string, media: MediaState }} Participant */

export const PROTOCOL_VERSION = 1;
export const CHAT_MAX = 2000;

/** Errors after which retrying the same join cannot help. */
const FATAL_CODES = new Set(['room-full', 'invalid-room', 'invalid-name', 'unsupported-protocol']);

export class Call extends EventTarget {
  /**
   * @param {{ url: string, room: string, name: string,
   *           local: { stream: MediaStream, audio: MediaStreamTrack | null, video: MediaStreamTrack | null } }} options
   */
  constructor({ url, room, name, local }) {
    super();
    this.room = room;
    this.name = name;
    this.local = local;
    this.micMuted = false;
    /** @type {string | null} */
    this.id = null;
    /** @type {string} */
    this.mode = 'mesh';
    /** @type {Map<string, Participant>} */
    this.participants = new Map();
    /** @type {MeshTransport | null} */
    this.transport = null;
    this.left = false;
    this.signaling = new Signaling(url);
    this.signaling.addEventListener('open', () => this.#join());
    this.signaling.addEventListener('message', (e) => this.#onMessage(/** @type {CustomEvent<Message>} */ (e).detail));
    this.signaling.addEventListener('down', (e) => this.#onDown(/** @type {CustomEvent<{ retryInMs: number }>} */ (e).detail));
  }

  /** @returns {Map<string, RTCPeerConnection>} */
  get peerConnections() {
    return this.transport ? this.transport.peerConnections : new Map();
  }

  /** @returns {MediaState} what we currently send */
  get mediaState() {
    return { audio: !!this.local.audio && !this.micMuted, video: !!this.local.video };
  }

  start() {
    this.#emit('connection', { state: 'connecting' });
    this.signaling.connect();
  }

  leave() {
    if (this.left) return;
    this.left = true;
    this.signaling.send({ type: 'leave' });
    this.signaling.close();
    this.#dropTransport();
    this.participants.clear();
  }

  /** @param {boolean} muted */
  setMicMuted(muted) {
    this.micMuted = muted;
    if (this.local.audio) this.local.audio.enabled = !muted;
    this.#announceMedia();
  }

  /**
   * Puts a new track in place of the current one of its kind (or removes it with null), for every
   * peer, without renegotiation. The old track is stopped.
   * @param {'audio' | 'video'} kind @param {MediaStreamTrack | null} track
   */
  async setTrack(kind, track) {
    const old = kind === 'audio' ? this.local.audio : this.local.video;
    if (old === track) return;
    if (old) {
      this.local.stream.removeTrack(old);
      old.stop();
    }
    if (track) {
      if (kind === 'audio') track.enabled = !this.micMuted;
      this.local.stream.addTrack(track);
    }
    if (kind === 'audio') this.local.audio = track;
    else this.local.video = track;
    if (this.transport) await this.transport.replaceTrack(kind, track);
    this.#emit('local-changed', {});
    this.#announceMedia();
  }

  /** @param {string} text @returns {boolean} */
  sendChat(text) {
    const clean = text.slice(0, CHAT_MAX);
    if (!clean.trim() || !this.transport) return false;
    const ts = Date.now();
    this.transport.sendChat(clean, ts);
    this.#emit('chat', { from: null, name: this.name, text: clean, ts, via: 'p2p' });
    return true;
  }

  #join() {
    this.signaling.send({ type: 'join', protocol: PROTOCOL_VERSION, room: this.room, name: this.name, media: this.mediaState });
    performance.mark('huddle:join-sent');
  }

  #announceMedia() {
    if (this.id) this.signaling.send({ type: 'media', ...this.mediaState });
  }

  /** @param {Message} message */
  #onMessage(message) {
    switch (message.type) {
      case 'joined':
        this.#onJoined(message);
        break;
      case 'participant-joined': {
        const p = toParticipant(message.participant);
        if (!p || p.id === this.id) return;
        this.participants.set(p.id, p);
        this.transport?.expectPeer(p.id);
        this.#emit('participant-joined', p);
        break;
      }
      case 'participant-left': {
        const id = message.id;
        if (typeof id !== 'string' || !this.participants.has(id)) return;
        this.participants.delete(id);
        this.transport?.removePeer(id);
        this.#emit('participant-left', { id });
        break;
      }
      case 'offer':
      case 'answer':
      case 'candidate':
        if (typeof message.from === 'string' && this.participants.has(message.from)) this.transport?.handleSignal(message);
        break;
      case 'media': {
        const p = typeof message.id === 'string' ? this.participants.get(message.id) : undefined;
        if (!p) return;
        p.media = { audio: message.audio === true, video: message.video === true };
        this.#emit('media-changed', p);
        break;
      }
      case 'error':
        this.#onError(String(message.code ?? ''), String(message.message ?? ''));
        break;
      default:
        break;
    }
  }

  /** @param {Message} message */
  #onJoined(message) {
    performance.mark('huddle:joined');
    this.#dropTransport();
    this.id = String(message.id);
    this.mode = String(message.mode ?? 'mesh');
    this.participants.clear();
    const others = Array.isArray(message.participants) ? message.participants : [];
    for (const raw of others) {
      const p = toParticipant(raw);
      if (p) this.participants.set(p.id, p);
    }
    const transport = new MeshTransport({
      selfId: this.id,
      iceServers: Array.isArray(message.iceServers) ? message.iceServers : [],
      send: (m) => this.signaling.send(m),
      local: { stream: this.local.stream, audio: this.local.audio, video: this.local.video },
    });
    transport.addEventListener('remote-stream', (e) => this.#emit('remote-stream', /** @type {CustomEvent} */ (e).detail));
    transport.addEventListener('chat', (e) => {
      const { peerId, text, ts } = /** @type {CustomEvent<{ peerId: string, text: string, ts: number }>} */ (e).detail;
      const sender = this.participants.get(peerId);
      if (!sender) return;
      this.#emit('chat', { from: peerId, name: sender.name, text, ts, via: 'p2p' });
    });
    this.transport = transport;
    this.#emit('connection', { state: 'connected' });
    this.#emit('joined', {});
    // The newcomer offers to everyone already present (docs/protocol.md).
    for (const id of this.participants.keys()) transport.addPeer(id);
  }

  /** @param {string} code @param {string} text */
  #onError(code, text) {
    if (FATAL_CODES.has(code)) {
      this.left = true;
      this.signaling.close();
      this.#dropTransport();
      this.#emit('failed', { code, message: text });
      return;
    }
    console.warn(`huddle: server said ${code}: ${text}`);
  }

  /** @param {{ retryInMs: number }} detail */
  #onDown(detail) {
    // The server forgets us when the socket drops; we rejoin from scratch when it is back.
    const hadPeers = this.participants.size > 0;
    this.#dropTransport();
    this.id = null;
    this.participants.clear();
    if (hadPeers) this.#emit('participants-reset', {});
    this.#emit('connection', { state: 'reconnecting', retryInMs: detail.retryInMs });
  }

  #dropTransport() {
    this.transport?.close();
    this.transport = null;
  }

  /** @param {string} type @param {unknown} detail */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

/** @param {any} raw @returns {Participant | null} */
function toParticipant(raw) {
  if (!raw || typeof raw.id !== 'string' || typeof raw.name !== 'string') return null;
  const media = raw.media ?? {};
  return { id: raw.id, name: raw.name, media: { audio: media.audio === true, video: media.video === true } };
}

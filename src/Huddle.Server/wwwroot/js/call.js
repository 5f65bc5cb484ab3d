// @ts-check
/**
 * A call: the signaling socket, the media transport chosen by the room's mode, the participant
 * list and the local media state. DOM-free; the UI listens to its events.
 *
 * Events (CustomEvent, detail in parentheses):
 * - `joined` ({ id, participants }) — (re)joined the room; the participant list was replaced.
 * - `participants-changed` (Participant[]) — after every join, arrival, departure or media change.
 * - `participant-joined` (Participant), `participant-left` ({ id, name }).
 * - `media-changed` (Participant) — a participant's signaled microphone/camera state.
 * - `remote-stream` ({ peerId, stream }), `peer-state` ({ peerId, state }) — from the transport.
 * - `chat` (ChatMessage) — from a participant, or our own (`from: null`).
 * - `local-changed` ({}) — our own tracks or mute state changed.
 * - `connection` ({ state: 'connecting' | 'connected' | 'reconnecting', retryAt? }).
 * - `notice` (Notice) — something a person should be told (`active: false` withdraws it).
 * - `closed` ({ reason: 'left' | 'error', code?, message? }) — the call is over for good.
 * - `mode-changed` ({ mode }) — the room moved between peer-to-peer (`mesh`) and the server (`sfu`).
 */
import { Signaling } from './signaling.js';
import { createTransport } from './transport.js';
import { framesDecoded } from './stats.js';

/** @typedef {import('./signaling.js').Message} Message */
/** @typedef {import('./signaling.js').DownDetail} DownDetail */
/** @typedef {import('./transport.js').Transport} Transport */
/** @typedef {import('./transport.js').LocalTracks} LocalTracks */
/** @typedef {{ audio: boolean, video: boolean }} MediaState */
/** @typedef {{ id: string, name: string, media: MediaState }} Participant */
/** @typedef {{ from: string | null, name: string, text: string, ts: number, via: 'p2p' | 'server' }} ChatMessage */
/** @typedef {{ code: string, message: string, active: boolean, retryAt?: number }} Notice */
/** @typedef {{ reason: 'left' | 'error', code?: string, message?: string }} ClosedDetail */

export const PROTOCOL_VERSION = 1;
export const CHAT_MAX = 2000;

/** Errors after which retrying the same join cannot help. */
const FATAL_CODES = new Set(['room-full', 'server-full', 'invalid-room', 'invalid-name', 'unsupported-protocol']);

export class Call extends EventTarget {
  /**
   * @param {{ url: string, room: string, name: string, local: LocalTracks }} options
   */
  constructor({ url, room, name, local }) {
    super();
    this.room = room;
    this.name = name;
    this.local = local;
    this.micMuted = false;
    /** @type {string | null} own participant id while in the room */
    this.id = null;
    /** @type {string} */
    this.mode = 'mesh';
    this.capacity = 0;
    /** @type {Map<string, Participant>} */
    this.participants = new Map();
    /** @type {Transport | null} */
    this.transport = null;
    /** @type {Transport | null} the transport being replaced after a mode switch */
    this.retiring = null;
    /** @type {Set<string>} participants the new transport has not delivered yet */
    this.retiringWaits = new Set();
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retireTimer = undefined;
    /** @type {Map<Transport, AbortController>} */
    this.wirings = new Map();
    /** @type {RTCIceServer[]} */
    this.iceServers = [];
    this.left = false;
    this.signaling = new Signaling(url);
    this.signaling.addEventListener('open', () => this.#join());
    this.signaling.addEventListener('message', (e) => this.#onMessage(/** @type {CustomEvent<Message>} */ (e).detail));
    this.signaling.addEventListener('down', (e) => this.#onDown(/** @type {CustomEvent<DownDetail>} */ (e).detail));
  }

  /** @returns {Map<string, RTCPeerConnection>} participant id → its peer connection (mesh) */
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
    this.id = null;
    this.#emit('closed', /** @type {ClosedDetail} */ ({ reason: 'left' }));
  }

  /** @param {boolean} muted */
  setMicMuted(muted) {
    this.micMuted = muted;
    if (this.local.audio) this.local.audio.enabled = !muted;
    this.#emit('local-changed', {});
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
    if (track) {
      if (kind === 'audio') track.enabled = !this.micMuted;
      this.local.stream.addTrack(track);
    }
    if (kind === 'audio') this.local.audio = track;
    else this.local.video = track;
    // Switch the senders first, then stop the old track: the others never see a gap longer
    // than the new device takes to start.
    if (this.transport) await this.transport.replaceTrack(kind, track);
    if (old) {
      this.local.stream.removeTrack(old);
      old.stop();
    }
    this.#emit('local-changed', {});
    this.#announceMedia();
  }

  /** @param {string} text @returns {boolean} whether it went out (to at least one participant) */
  sendChat(text) {
    const clean = text.slice(0, CHAT_MAX);
    if (!clean.trim() || !this.transport) return false;
    const ts = Date.now();
    if (this.transport.sendChat(clean, ts) === 0) return false;
    this.#emit('chat', /** @type {ChatMessage} */ ({ from: null, name: this.name, text: clean, ts, via: this.#via }));
    return true;
  }

  /** How chat travels in this room: peer to peer (mesh) or through the server (SFU). */
  get #via() {
    return this.mode === 'sfu' ? 'server' : 'p2p';
  }

  /** Where `id`'s media statistics are (see stats.js). @param {string} id */
  statsSource(id) {
    return this.transport ? this.transport.statsSource(id) : null;
  }

  /** How loud a participant is right now, 0..1. @param {string} id */
  audioLevel(id) {
    return this.transport ? this.transport.audioLevel(id) : 0;
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
    if (this.left) return;
    switch (message.type) {
      case 'joined':
        this.#onJoined(message);
        break;
      case 'participant-joined': {
        const p = toParticipant(message.participant);
        if (!p || p.id === this.id || !this.id) return;
        this.participants.set(p.id, p);
        this.transport?.expectPeer(p.id);
        this.#emit('participant-joined', p);
        this.#participantsChanged();
        break;
      }
      case 'participant-left': {
        const id = message.id;
        const p = typeof id === 'string' ? this.participants.get(id) : undefined;
        if (!p) return;
        this.participants.delete(p.id);
        this.transport?.removePeer(p.id);
        this.#emit('participant-left', { id: p.id, name: p.name });
        this.#participantsChanged();
        break;
      }
      case 'offer':
      case 'answer':
      case 'candidate':
        if (typeof message.from === 'string' && this.participants.has(message.from)) this.transport?.handleSignal(message);
        break;
      case 'mode':
        if (message.mode === 'mesh' || message.mode === 'sfu') this.#switchMode(message.mode);
        break;
      case 'publish-answer':
      case 'subscribe':
        this.transport?.handleSignal(message);
        break;
      case 'chat': {
        // SFU rooms: chat through the server. The name comes from our participant list.
        const sender = typeof message.from === 'string' ? this.participants.get(message.from) : undefined;
        if (!sender || typeof message.text !== 'string') return;
        const ts = typeof message.ts === 'number' ? message.ts : Date.now();
        this.#emit('chat', /** @type {ChatMessage} */ ({ from: sender.id, name: sender.name, text: message.text.slice(0, CHAT_MAX), ts, via: this.#via }));
        break;
      }
      case 'chat-history': {
        const messages = Array.isArray(message.messages) ? message.messages : [];
        for (const m of messages) {
          if (!m || typeof m.text !== 'string' || typeof m.name !== 'string') continue;
          const ts = typeof m.ts === 'number' ? m.ts : Date.now();
          this.#emit('chat', /** @type {ChatMessage} */ ({ from: String(m.from ?? ''), name: m.name, text: m.text.slice(0, CHAT_MAX), ts, via: this.#via }));
        }
        break;
      }
      case 'media': {
        const p = typeof message.id === 'string' ? this.participants.get(message.id) : undefined;
        if (!p) return;
        p.media = { audio: message.audio === true, video: message.video === true };
        this.#emit('media-changed', p);
        this.#participantsChanged();
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
    // A rejoin after a lost socket: the others were told we left, so every old connection is
    // dead to them. Start over with the new id.
    this.#dropTransport();
    this.id = String(message.id);
    this.mode = String(message.mode ?? 'mesh');
    this.capacity = typeof message.capacity === 'number' ? message.capacity : 0;
    this.participants.clear();
    const others = Array.isArray(message.participants) ? message.participants : [];
    for (const raw of others) {
      const p = toParticipant(raw);
      if (p && p.id !== this.id) this.participants.set(p.id, p);
    }
    this.iceServers = Array.isArray(message.iceServers) ? message.iceServers : [];
    const transport = this.#makeTransport(this.mode);
    if (!transport) return;
    this.transport = transport;
    // The newcomer offers to everyone already present (docs/protocol.md). Start that before the
    // UI builds its tiles: the offers are on the critical path to the first picture.
    for (const id of this.participants.keys()) transport.addPeer(id);
    this.#emit('notice', /** @type {Notice} */ ({ code: 'server-unreachable', message: '', active: false }));
    this.#emit('connection', { state: 'connected' });
    this.#emit('joined', { id: this.id, participants: [...this.participants.values()] });
    this.#participantsChanged();
  }

  /**
   * Builds the transport for a mode and forwards its events. Returns null (and ends the call) for a
   * mode this page does not know.
   * @param {string} mode
   * @returns {Transport | null}
   */
  #makeTransport(mode) {
    const transport = createTransport(mode, {
      selfId: this.id ?? '',
      iceServers: this.iceServers,
      send: (m) => this.signaling.send(m),
      local: { stream: this.local.stream, audio: this.local.audio, video: this.local.video },
    });
    if (!transport) {
      this.#fail('unsupported-mode', `This room uses "${mode}", which this page does not support. Reload the page to update Huddle.`);
      return null;
    }
    const wiring = new AbortController();
    this.wirings.set(transport, wiring);
    const signal = wiring.signal;
    transport.addEventListener('remote-stream', (e) => {
      const detail = /** @type {CustomEvent<{ peerId: string, stream: MediaStream }>} */ (e).detail;
      this.#emit('remote-stream', detail);
      if (transport === this.transport) this.#maybeRetire(detail.peerId);
    }, { signal });
    transport.addEventListener('peer-state', (e) => this.#emit('peer-state', /** @type {CustomEvent} */ (e).detail), { signal });
    transport.addEventListener('chat', (e) => {
      const { peerId, text, ts } = /** @type {CustomEvent<{ peerId: string, text: string, ts: number }>} */ (e).detail;
      const sender = this.participants.get(peerId);
      if (!sender) return; // The name comes from the participant list, never from the message.
      this.#emit('chat', /** @type {ChatMessage} */ ({ from: peerId, name: sender.name, text, ts, via: this.#via }));
    }, { signal });
    return transport;
  }

  /**
   * The room moved between peer-to-peer and the server (`mode`). The new transport is built at once;
   * the old one keeps carrying media until the new one delivers everybody, so pictures keep moving.
   * @param {string} mode
   */
  #switchMode(mode) {
    if (mode === this.mode || !this.id || !this.transport) return;
    performance.mark(`huddle:mode-${mode}`);
    this.#retire();
    this.retiring = this.transport;
    this.retiringWaits = new Set(this.participants.keys());
    this.mode = mode;
    const transport = this.#makeTransport(mode);
    if (!transport) return;
    this.transport = transport;
    // In a mesh, the one of each pair with the smaller id offers (perfect negotiation covers glare).
    for (const id of this.participants.keys()) {
      if (this.id < id) transport.addPeer(id);
      else transport.expectPeer(id);
    }
    this.retireTimer = setTimeout(() => this.#retire(), 10_000);
    this.#emit('mode-changed', { mode });
  }

  /** The new transport delivered `peerId`; when it has everyone, the old one goes. @param {string} peerId */
  #maybeRetire(peerId) {
    if (!this.retiring) return;
    this.retiringWaits.delete(peerId);
    for (const id of this.retiringWaits) if (!this.participants.has(id)) this.retiringWaits.delete(id);
    if (this.retiringWaits.size === 0) this.#retireWhenDecoding(this.retiring);
  }

  /**
   * The new transport carries everybody's tracks; the old one goes once every camera that is on
   * decodes through the new one too, so no picture waits for a keyframe (the grid swaps each picture
   * on its first new frame). The 10 s limit of #switchMode stays the upper bound.
   * @param {Transport} old
   */
  async #retireWhenDecoding(old) {
    const transport = this.transport;
    const current = () => this.retiring === old && this.transport === transport;
    while (current()) {
      const cameras = [...this.participants.values()].filter((p) => p.media.video).map((p) => transport?.statsSource(p.id));
      const decoded = await Promise.all(cameras.map((source) => (source ? framesDecoded(source) : Promise.resolve(0))));
      if (decoded.every((n) => n > 0)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // A frame decoded is presented a moment later, and the grid swaps on presentation.
    await new Promise((resolve) => setTimeout(resolve, 500));
    // The others may not have our picture on the new transport yet; a mesh keeps sending it until
    // each has (the 10 s limit still closes it).
    if (current()) await old.handOver();
    if (current()) this.#retire();
  }

  #retire() {
    clearTimeout(this.retireTimer);
    const old = this.retiring;
    this.retiring = null;
    if (!old) return;
    this.wirings.get(old)?.abort();
    this.wirings.delete(old);
    old.close();
  }

  /** @param {string} code @param {string} text */
  #onError(code, text) {
    if (FATAL_CODES.has(code)) {
      this.#fail(code, text);
      return;
    }
    console.warn(`huddle: server said ${code}: ${text}`);
  }

  /** Ends the call because of an error. @param {string} code @param {string} text */
  #fail(code, text) {
    this.left = true;
    this.signaling.close();
    this.#dropTransport();
    this.participants.clear();
    this.id = null;
    if (code === 'room-full') this.#emit('notice', /** @type {Notice} */ ({ code, message: text || 'This room is full.', active: true }));
    this.#emit('closed', /** @type {ClosedDetail} */ ({ reason: 'error', code, message: text }));
  }

  /** @param {DownDetail} detail */
  #onDown(detail) {
    // The server forgets us when the socket drops, and we rejoin with a new id once it is back
    // (#onJoined then rebuilds every connection). Until then the peer connections stay up: media
    // and chat flow peer to peer, so a server restart does not cut the call.
    this.id = null;
    this.#emit('notice', /** @type {Notice} */ ({
      code: 'server-unreachable',
      message: "Can't reach the Huddle server",
      active: true,
      retryAt: detail.retryAt,
    }));
    this.#emit('connection', { state: 'reconnecting', retryAt: detail.retryAt });
  }

  #dropTransport() {
    this.#retire();
    if (this.transport) {
      this.wirings.get(this.transport)?.abort();
      this.wirings.delete(this.transport);
      this.transport.close();
    }
    this.transport = null;
  }

  #participantsChanged() {
    this.#emit('participants-changed', [...this.participants.values()]);
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

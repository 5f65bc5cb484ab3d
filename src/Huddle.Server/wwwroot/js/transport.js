// @ts-check
/**
 * The media transport seam. `Call` talks to its transport only through this interface, so the mesh
 * (one RTCPeerConnection per remote participant) can be swapped for an SFU transport (one publish
 * and one subscribe connection) chosen by `joined.mode`, without touching the call or the UI.
 * DOM-free.
 */
import { MeshTransport } from './mesh.js';
import { SfuTransport } from './sfu.js';

/** @typedef {import('./signaling.js').Message} Message */
/** @typedef {{ stream: MediaStream, audio: MediaStreamTrack | null, video: MediaStreamTrack | null }} LocalTracks */

/**
 * @typedef {object} TransportOptions
 * @property {string} selfId our participant id from `joined`
 * @property {RTCIceServer[]} iceServers passed unchanged to RTCPeerConnection
 * @property {(message: Message) => boolean} send sends a signaling message (`offer`/`answer`/`candidate`)
 * @property {LocalTracks} local what we send; the transport keeps it current through replaceTrack
 */

/**
 * What every transport does. Events it dispatches (CustomEvent detail):
 * - `remote-stream` { peerId, stream } — a participant's media (audio and video in one MediaStream);
 * - `chat` { peerId, text, ts } — a chat message from a participant (text already length-checked);
 * - `peer-state` { peerId, state } — the media connection to a participant changed
 *   (`new` | `connecting` | `connected` | `disconnected` | `failed` | `closed`).
 *
 * @typedef {EventTarget & {
 *   readonly kind: string,
 *   readonly peerConnections: Map<string, RTCPeerConnection>,
 *   addPeer(id: string): void,
 *   expectPeer(id: string): void,
 *   removePeer(id: string): void,
 *   handleSignal(message: Message): void,
 *   replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void>,
 *   sendChat(text: string, ts: number): number,
 *   audioLevel(id: string): number,
 *   statsSource(id: string): import('./stats.js').StatsSource | null,
 *   handOver(): Promise<void>,
 *   close(): void,
 * }} Transport
 *
 * - `addPeer(id)`: we arrived after `id`; connect to it (in a mesh, we make the offer).
 * - `expectPeer(id)`: `id` arrived after us and will reach out; get ready for it.
 * - `handleSignal(message)`: an `offer`, `answer` or `candidate` from the server (with `from`).
 * - `replaceTrack(kind, track)`: send `track` (or nothing) instead of the current one, no renegotiation.
 * - `sendChat(text, ts)`: to everyone; returns how many participants it was sent or queued to.
 * - `audioLevel(id)`: how loud `id` is right now, 0..1 (0 when unknown).
 * - `statsSource(id)`: the connection carrying `id`'s media and, when it carries others too, `id`'s mids.
 * - `handOver()`: the room moved on and this page receives everyone on the new transport; resolves
 *   when this one may close without cutting what others still receive through it.
 */

export const TRANSPORT_MODES = ['mesh', 'sfu'];

/**
 * @param {string} mode `joined.mode`
 * @param {TransportOptions} options
 * @returns {Transport | null} null when this client does not know the mode
 */
export function createTransport(mode, options) {
  switch (mode) {
    case 'mesh':
      return new MeshTransport(options);
    case 'sfu':
      return new SfuTransport(options);
    default:
      return null;
  }
}

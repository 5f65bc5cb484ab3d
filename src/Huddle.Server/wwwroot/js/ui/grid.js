// @ts-check
/** The video grid: the own tile and one tile per participant. */
import { el, initials, avatarHue } from './dom.js';
import { icons } from './icons.js';

/** @typedef {import('../call.js').Participant} Participant */

/**
 * @typedef {{ root: HTMLElement, video: HTMLVideoElement, placeholder: HTMLElement, avatar: HTMLElement,
 *             placeholderName: HTMLElement, muted: HTMLElement, name: HTMLElement, status: HTMLElement, stats: HTMLElement,
 *             problem?: HTMLElement, incoming?: HTMLVideoElement, connection: string, framed: boolean, watching: boolean }} Tile
 */

/** What a person reads on a tile whose media connection is not up. */
const CONNECTION_TEXT = /** @type {Record<string, string>} */ ({
  new: 'Connecting…',
  connecting: 'Connecting…',
  disconnected: 'Reconnecting…',
  failed: 'Reconnecting…',
  waiting: 'Not received: too many streams in this room',
});

export class Grid {
  /** @param {HTMLElement} root @param {{ onAutoplayBlocked: () => void }} hooks */
  constructor(root, hooks) {
    this.root = root;
    this.hooks = hooks;
    /** @type {Map<string, Tile>} */
    this.tiles = new Map();
    /** @type {Tile | null} */
    this.self = null;
  }

  /**
   * @param {{ name: string, stream: MediaStream, media: { audio: boolean, video: boolean }, problem: string | null }} state
   */
  setSelf({ name, stream, media, problem }) {
    if (!this.self) {
      this.self = createTile(name);
      this.self.root.dataset.self = '';
      this.self.video.muted = true;
      this.self.video.classList.add('mirror');
      const note = el('p', 'self-media-missing');
      note.hidden = true;
      this.self.root.append(note);
      this.self.problem = note;
      this.root.prepend(this.self.root);
    }
    const tile = this.self;
    if (tile.video.srcObject !== stream) tile.video.srcObject = stream;
    if (media.video && tile.video.paused) tile.video.play().catch(() => {});
    applyMedia(tile, name, media);
    tile.name.textContent = `${name} (you)`;
    if (tile.problem) {
      tile.problem.textContent = problem ?? '';
      tile.problem.hidden = !problem;
    }
    this.#layout();
  }

  /** Makes the remote tiles match the participant list. @param {Participant[]} participants */
  sync(participants) {
    const ids = new Set(participants.map((p) => p.id));
    for (const id of [...this.tiles.keys()]) if (!ids.has(id)) this.remove(id);
    for (const p of participants) this.add(p);
  }

  /** @param {Participant} p */
  add(p) {
    if (this.tiles.has(p.id)) return this.update(p);
    const tile = createTile(p.name);
    tile.root.dataset.participantId = p.id;
    tile.root.dataset.name = p.name;
    this.tiles.set(p.id, tile);
    this.root.append(tile.root);
    applyMedia(tile, p.name, p.media);
    this.setConnection(p.id, 'new');
    this.#layout();
  }

  /** @param {Participant} p */
  update(p) {
    const tile = this.tiles.get(p.id);
    if (!tile) return;
    applyMedia(tile, p.name, p.media);
    renderStatus(tile);
  }

  /** @param {string} id */
  remove(id) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    this.tiles.delete(id);
    tile.video.srcObject = null;
    if (tile.incoming) tile.incoming.srcObject = null;
    tile.root.remove();
    this.#layout();
  }

  clearRemote() {
    for (const id of [...this.tiles.keys()]) this.remove(id);
  }

  /** The media connection to a participant changed. @param {string} id @param {string} state */
  setConnection(id, state) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    tile.root.dataset.connection = state;
    tile.connection = state;
    renderStatus(tile);
  }

  /** Connection figures on a tile; null hides them. @param {string} id @param {string | null} text */
  setStats(id, text) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    tile.stats.textContent = text ?? '';
    tile.stats.hidden = text === null;
  }

  /** @returns {string[]} the participants with a tile */
  get ids() {
    return [...this.tiles.keys()];
  }

  /**
   * Shows a participant's media. When the tile already shows a picture and the stream is a new one
   * (the room moved between peer to peer and the server), the old picture stays until the new stream
   * has a frame, so the switch does not blank the tile while the new connection waits for a keyframe.
   * @param {string} id @param {MediaStream} stream
   */
  setStream(id, stream) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    const current = tile.video.srcObject;
    const showing = current instanceof MediaStream && current !== stream && tile.framed && tile.root.dataset.video === 'on'
      && current.getVideoTracks().some((t) => t.readyState === 'live');
    if (showing) {
      // The new stream's video track may come a moment after its audio (one event each): until then
      // the tile keeps the picture and the sound it has.
      if (stream.getVideoTracks().length > 0 && tile.incoming?.srcObject !== stream) this.#handOver(tile, stream);
      return;
    }
    const video = tile.video;
    if (video.srcObject !== stream) video.srcObject = stream;
    if (!tile.watching) {
      tile.watching = true;
      video.requestVideoFrameCallback(() => {
        performance.mark(`huddle:first-frame:${id}`);
        tile.framed = true;
        renderStatus(tile);
      });
    }
    this.#play(video);
  }

  /** @param {HTMLVideoElement} video */
  #play(video) {
    if (!video.paused) return;
    video.play().catch(() => {
      // Autoplay with sound needs a gesture on some browsers: play muted and offer a button.
      video.muted = true;
      video.play().catch(() => {});
      this.hooks.onAutoplayBlocked();
    });
  }

  /**
   * Plays `stream` in a second, invisible and silent element over the tile's video, and swaps the two
   * when the new one has a frame (or after 5 s whatever happens), taking over the sound then too.
   * @param {Tile} tile @param {MediaStream} stream
   */
  #handOver(tile, stream) {
    tile.incoming?.remove();
    const next = createVideo();
    next.classList.add('incoming');
    next.muted = true;
    next.srcObject = stream;
    tile.incoming = next;
    tile.video.after(next);
    let timer = 0;
    const swap = () => {
      if (tile.incoming !== next) return;
      clearTimeout(timer);
      tile.incoming = undefined;
      const old = tile.video;
      next.classList.remove('incoming');
      next.classList.toggle('off', old.classList.contains('off'));
      next.muted = old.muted;
      old.srcObject = null;
      old.remove();
      tile.video = next;
      this.#play(next);
      performance.mark(`huddle:picture-swap:${tile.root.dataset.participantId}`);
    };
    next.requestVideoFrameCallback(swap);
    next.addEventListener('loadeddata', () => { if (next.videoWidth > 0) swap(); }, { once: true });
    timer = window.setTimeout(swap, 5000);
    next.play().catch(() => {});
  }

  /** @param {string | null} id null for the own tile @param {boolean} speaking */
  setSpeaking(id, speaking) {
    const tile = id === null ? this.self : this.tiles.get(id);
    tile?.root.classList.toggle('speaking', speaking);
  }

  unmuteAll() {
    for (const tile of this.tiles.values()) {
      tile.video.muted = false;
      tile.video.play().catch(() => {});
    }
  }

  #layout() {
    this.root.dataset.count = String(this.tiles.size + (this.self ? 1 : 0));
  }
}

/** @param {string} name @returns {Tile} */
function createTile(name) {
  const root = el('div', 'tile');
  const video = createVideo();
  const placeholder = el('div', 'placeholder');
  placeholder.hidden = true;
  const avatar = el('div', 'avatar');
  const placeholderName = el('div', 'placeholder-name');
  placeholder.append(avatar, placeholderName);
  const status = el('div', 'tile-status');
  status.hidden = true;
  const footer = el('div', 'tile-footer');
  const muted = el('span', 'muted-mark');
  muted.innerHTML = icons.mutedSmall; // Static icon markup, no user text.
  muted.title = 'Microphone muted';
  muted.setAttribute('role', 'img');
  muted.setAttribute('aria-label', 'Microphone muted');
  muted.hidden = true;
  const label = el('span', 'tile-name');
  footer.append(muted, label);
  const stats = el('span', 'tile-stats');
  stats.hidden = true;
  root.append(video, placeholder, status, stats, footer);
  /** @type {Tile} */
  const tile = { root, video, placeholder, avatar, placeholderName, muted, name: label, status, stats,
    connection: 'new', framed: false, watching: false };
  setName(tile, name);
  return tile;
}

/** @returns {HTMLVideoElement} */
function createVideo() {
  const video = el('video');
  video.autoplay = true;
  video.playsInline = true;
  video.setAttribute('playsinline', '');
  return video;
}

/** "Connecting…" until the connection is up and, with the camera on, the first picture is shown. @param {Tile} tile */
function renderStatus(tile) {
  let text = CONNECTION_TEXT[tile.connection] ?? '';
  if (!text && tile.connection === 'connected' && tile.root.dataset.video === 'on' && !tile.framed) text = 'Starting video…';
  tile.status.textContent = text;
  tile.status.hidden = !text;
}

/** @param {Tile} tile @param {string} name */
function setName(tile, name) {
  tile.name.textContent = name;
  tile.placeholderName.textContent = name;
  tile.avatar.textContent = initials(name);
  tile.avatar.style.setProperty('--hue', String(avatarHue(name)));
}

/** @param {Tile} tile @param {string} name @param {{ audio: boolean, video: boolean }} media */
function applyMedia(tile, name, media) {
  tile.root.dataset.audio = media.audio ? 'on' : 'off';
  tile.root.dataset.video = media.video ? 'on' : 'off';
  tile.muted.hidden = media.audio;
  tile.placeholder.hidden = media.video;
  tile.video.classList.toggle('off', !media.video);
  if (tile.placeholderName.textContent !== name) setName(tile, name);
}

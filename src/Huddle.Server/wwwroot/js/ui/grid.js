// @ts-check
/** The video grid: the own tile and one tile per participant. */
import { el, initials } from './dom.js';
import { icons } from './icons.js';

/** @typedef {import('../call.js').Participant} Participant */

/**
 * @typedef {{ root: HTMLElement, video: HTMLVideoElement, placeholder: HTMLElement,
 *             muted: HTMLElement, name: HTMLElement, problem?: HTMLElement }} Tile
 */

export class Grid {
  /** @param {HTMLElement} root @param {{ onAutoplayBlocked: () => void }} hooks */
  constructor(root, hooks) {
    this.root = root;
    this.hooks = hooks;
    /** @type {Map<string, Tile>} */
    this.tiles = new Map();
    /** @type {Tile | null} */
    this.self = null;
    /** Peers whose first frame was already marked in this call. */
    /** @type {Set<string>} */
    this.framed = new Set();
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
    tile.video.play().catch(() => {});
    applyMedia(tile, `${name} (you)`, media);
    if (tile.problem) {
      tile.problem.textContent = problem ?? '';
      tile.problem.hidden = !problem;
    }
    this.#layout();
  }

  /** @param {Participant} p */
  add(p) {
    if (this.tiles.has(p.id)) return this.update(p);
    const tile = createTile(p.name);
    tile.root.dataset.participantId = p.id;
    tile.root.dataset.name = p.name;
    tile.root.classList.add('connecting');
    this.tiles.set(p.id, tile);
    this.root.append(tile.root);
    applyMedia(tile, p.name, p.media);
    this.#layout();
  }

  /** @param {Participant} p */
  update(p) {
    const tile = this.tiles.get(p.id);
    if (tile) applyMedia(tile, p.name, p.media);
  }

  /** @param {string} id */
  remove(id) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    this.tiles.delete(id);
    tile.video.srcObject = null;
    tile.root.remove();
    this.#layout();
  }

  clearRemote() {
    for (const id of [...this.tiles.keys()]) this.remove(id);
  }

  /** @param {string} id @param {MediaStream} stream */
  setStream(id, stream) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    const video = tile.video;
    if (video.srcObject !== stream) video.srcObject = stream;
    if (!this.framed.has(id)) {
      this.framed.add(id);
      video.requestVideoFrameCallback(() => {
        performance.mark(`huddle:first-frame:${id}`);
        tile.root.classList.remove('connecting');
      });
    }
    video.play().catch(() => {
      // Autoplay with sound needs a gesture on some browsers: play muted and offer a button.
      video.muted = true;
      video.play().catch(() => {});
      this.hooks.onAutoplayBlocked();
    });
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
  const video = el('video');
  video.autoplay = true;
  video.playsInline = true;
  video.setAttribute('playsinline', '');
  const placeholder = el('div', 'placeholder');
  placeholder.hidden = true;
  const avatar = el('div', 'avatar', initials(name));
  const placeholderName = el('div', 'placeholder-name', name);
  placeholder.append(avatar, placeholderName);
  const footer = el('div', 'tile-footer');
  const muted = el('span', 'muted-mark');
  muted.innerHTML = icons.mutedSmall; // Static icon markup, no user text.
  muted.title = 'Microphone muted';
  muted.hidden = true;
  const label = el('span', 'tile-name', name);
  footer.append(muted, label);
  root.append(video, placeholder, footer);
  return { root, video, placeholder, muted, name: label };
}

/** @param {Tile} tile @param {string} name @param {{ audio: boolean, video: boolean }} media */
function applyMedia(tile, name, media) {
  tile.root.dataset.audio = media.audio ? 'on' : 'off';
  tile.root.dataset.video = media.video ? 'on' : 'off';
  tile.muted.hidden = media.audio;
  tile.placeholder.hidden = media.video;
  tile.video.classList.toggle('off', !media.video);
  tile.name.textContent = name;
}

// @ts-check
/** One banner at the top of the page; the most important current notice wins. */

/** Higher wins. */
const PRIORITY = /** @type {Record<string, number>} */ ({
  'server-unreachable': 50,
  'room-full': 40,
  'permission-denied': 30,
  'device-busy': 30,
  'no-device': 30,
  unsupported: 30,
  info: 10,
});

/** @typedef {{ message: string, retryAt?: number }} Entry */

export class Notices {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    /** @type {Map<string, Entry>} */
    this.active = new Map();
    const text = root.querySelector('.notice-text');
    const close = root.querySelector('.notice-close');
    if (!(text instanceof HTMLElement) || !(close instanceof HTMLElement)) throw new Error('huddle: #notice is incomplete');
    this.text = text;
    close.addEventListener('click', () => {
      const code = root.dataset.code;
      if (code) this.clear(code);
    });
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.infoTimer = undefined;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.tick = undefined;
  }

  /**
   * Shows (or updates) a notice. With `retryAt`, the text counts down to it: "… — retrying in 3s".
   * @param {string} code @param {string} message @param {{ retryAt?: number }} [options]
   */
  set(code, message, options = {}) {
    this.active.set(code, { message, retryAt: options.retryAt });
    this.#render();
  }

  /** A short-lived informational notice. @param {string} message */
  info(message) {
    this.set('info', message);
    clearTimeout(this.infoTimer);
    this.infoTimer = setTimeout(() => this.clear('info'), 3000);
  }

  /** @param {string} code */
  clear(code) {
    if (this.active.delete(code)) this.#render();
  }

  /** @param {string} code */
  has(code) {
    return this.active.has(code);
  }

  #render() {
    let best = '';
    for (const code of this.active.keys()) {
      if (!best || (PRIORITY[code] ?? 0) > (PRIORITY[best] ?? 0)) best = code;
    }
    const entry = best ? this.active.get(best) : undefined;
    if (!entry) {
      this.root.hidden = true;
      delete this.root.dataset.code;
      this.#stopTick();
      return;
    }
    this.root.hidden = false;
    this.root.dataset.code = best;
    if (entry.retryAt === undefined) {
      this.text.textContent = entry.message;
      this.#stopTick();
      return;
    }
    const seconds = Math.ceil((entry.retryAt - Date.now()) / 1000);
    this.text.textContent = seconds > 0 ? `${entry.message} — retrying in ${seconds}s` : `${entry.message} — retrying now…`;
    if (this.tick === undefined) this.tick = setInterval(() => this.#render(), 250);
  }

  #stopTick() {
    clearInterval(this.tick);
    this.tick = undefined;
  }
}

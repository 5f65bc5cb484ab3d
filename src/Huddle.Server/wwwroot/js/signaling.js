// @ts-check
/**
 * The signaling socket (docs/protocol.md): JSON messages over one WebSocket, reconnecting with
 * exponential backoff, with an application-level ping so a dead server is noticed.
 * DOM-free: it only needs WebSocket and EventTarget.
 */

/** @typedef {{ type: string, [key: string]: any }} Message */

const PING_EVERY_MS = 5000;
const PONG_WITHIN_MS = 5000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 8000;

/**
 * Events: `open`, `message` (detail: Message), `down` (detail: { retryInMs: number, everConnected: boolean }).
 */
export class Signaling extends EventTarget {
  /** @param {string} url */
  constructor(url) {
    super();
    this.url = url;
    /** @type {WebSocket | null} */
    this.socket = null;
    this.stopped = false;
    this.attempt = 0;
    this.everConnected = false;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.pingTimer = undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retryTimer = undefined;
    this.lastPong = 0;
  }

  connect() {
    this.stopped = false;
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => {
      if (socket !== this.socket) return;
      this.attempt = 0;
      this.everConnected = true;
      this.lastPong = Date.now();
      this.pingTimer = setInterval(() => this.#ping(), PING_EVERY_MS);
      this.dispatchEvent(new Event('open'));
    };
    socket.onmessage = (event) => {
      if (socket !== this.socket || typeof event.data !== 'string') return;
      /** @type {unknown} */
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!message || typeof message !== 'object' || typeof (/** @type {any} */ (message).type) !== 'string') return;
      const typed = /** @type {Message} */ (message);
      if (typed.type === 'pong') {
        this.lastPong = Date.now();
        return;
      }
      this.dispatchEvent(new CustomEvent('message', { detail: typed }));
    };
    socket.onclose = () => {
      if (socket !== this.socket) return;
      this.#lost();
    };
    socket.onerror = () => {
      // onclose follows and does the work.
    };
  }

  /** @param {Message} message @returns {boolean} */
  send(message) {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  get connected() {
    return !!this.socket && this.socket.readyState === WebSocket.OPEN;
  }

  /** Closes for good: no reconnect. */
  close() {
    this.stopped = true;
    clearInterval(this.pingTimer);
    clearTimeout(this.retryTimer);
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      try {
        socket.close(1000, 'bye');
      } catch {
        // Already closing.
      }
    }
  }

  #ping() {
    if (Date.now() - this.lastPong > PING_EVERY_MS + PONG_WITHIN_MS) {
      // No pong for too long: the server or the path is gone even if TCP has not noticed.
      const socket = this.socket;
      if (socket) {
        socket.onclose = null;
        try { socket.close(); } catch { /* ignore */ }
      }
      this.#lost();
      return;
    }
    this.send({ type: 'ping' });
  }

  #lost() {
    clearInterval(this.pingTimer);
    this.socket = null;
    if (this.stopped) return;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    const retryInMs = Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempt++;
    this.dispatchEvent(new CustomEvent('down', { detail: { retryInMs, everConnected: this.everConnected } }));
    this.retryTimer = setTimeout(() => {
      if (!this.stopped) this.connect();
    }, retryInMs);
  }
}

// @ts-check
/** The chat panel: log, composer, unread badge. Messages are rendered with textContent only. */
import { el, clock } from './dom.js';

/** @typedef {{ name: string, text: string, ts: number, self: boolean, via?: 'p2p' | 'server' }} ChatEntry */

const MAX_ENTRIES = 500;

export class ChatPanel {
  /**
   * @param {{ panel: HTMLElement, log: HTMLElement, form: HTMLFormElement, input: HTMLTextAreaElement,
   *           toggle: HTMLButtonElement, close: HTMLButtonElement, badge: HTMLElement, onSend: (text: string) => boolean }} parts
   */
  constructor(parts) {
    this.parts = parts;
    this.unread = 0;
    parts.toggle.addEventListener('click', () => this.setOpen(parts.panel.hidden));
    parts.close.addEventListener('click', () => this.setOpen(false));
    parts.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.#send();
    });
    parts.input.addEventListener('keydown', (e) => {
      // Enter sends; Shift+Enter makes a new line.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.#send();
      }
    });
    parts.input.addEventListener('input', () => this.#grow());
  }

  get open() {
    return !this.parts.panel.hidden;
  }

  /** @param {boolean} open */
  setOpen(open) {
    this.parts.panel.hidden = !open;
    this.parts.toggle.setAttribute('aria-expanded', String(open));
    if (open) {
      this.unread = 0;
      this.#badge();
      this.parts.input.focus();
      this.parts.log.scrollTop = this.parts.log.scrollHeight;
    }
  }

  /**
   * Says how messages travel in this room: straight between people (mesh) or through the server,
   * which keeps recent ones for late joiners (SFU).
   * @param {'p2p' | 'server'} via
   */
  setVia(via) {
    this.parts.panel.dataset.via = via;
    const label = this.parts.panel.querySelector('.chat-privacy');
    if (label) {
      label.textContent = via === 'server'
        ? 'Through the server — kept for people who join later'
        : 'Peer-to-peer — the server never sees it';
    }
  }

  /** @param {ChatEntry} entry */
  add(entry) {
    const item = el('li', entry.self ? 'chat-message self' : 'chat-message');
    if (entry.via) item.dataset.via = entry.via;
    const meta = el('div', 'chat-meta');
    const sender = el('span', 'chat-sender', entry.self ? 'You' : entry.name);
    const time = el('time', 'chat-time', clock(entry.ts));
    time.dateTime = new Date(entry.ts).toISOString();
    meta.append(sender, time);
    if (entry.via) {
      const via = el('span', 'chat-via', entry.via === 'server' ? 'via server' : 'peer-to-peer');
      via.title = entry.via === 'server' ? 'This message went through the Huddle server.' : 'This message went straight between browsers.';
      meta.append(via);
    }
    const text = el('p', 'chat-text', entry.text);
    item.append(meta, text);
    const log = this.parts.log;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.append(item);
    while (log.childElementCount > MAX_ENTRIES) log.firstElementChild?.remove();
    if (atBottom || entry.self) log.scrollTop = log.scrollHeight;
    if (!this.open && !entry.self) {
      this.unread++;
      this.#badge();
    }
  }

  /** @param {string} text */
  system(text) {
    const item = el('li', 'chat-system', text);
    this.parts.log.append(item);
  }

  clear() {
    this.parts.log.replaceChildren();
    this.unread = 0;
    this.#badge();
  }

  #send() {
    const input = this.parts.input;
    if (this.parts.onSend(input.value)) {
      input.value = '';
      this.#grow();
    }
  }

  /** The composer grows with its text, up to its CSS max-height. */
  #grow() {
    const input = this.parts.input;
    input.style.height = 'auto';
    input.style.height = `${input.scrollHeight + 2}px`;
  }

  #badge() {
    this.parts.badge.hidden = this.unread === 0;
    this.parts.badge.textContent = this.unread > 99 ? '99+' : String(this.unread);
  }
}

// @ts-check
/** The home page and the pre-join prompt: room, name, camera preview and microphone level. */
import { byId } from './dom.js';
import { icons } from './icons.js';
import { validName, validRoom } from '../names.js';

const NAME_KEY = 'huddle.name';
const ADJECTIVES = ['bright', 'calm', 'swift', 'quiet', 'bold', 'sunny', 'merry', 'brave', 'clever', 'gentle', 'lucky', 'eager'];
const ANIMALS = ['otter', 'falcon', 'panda', 'lynx', 'heron', 'koala', 'badger', 'dolphin', 'fox', 'robin', 'tiger', 'whale'];

/** @returns {string} a readable room name such as bright-otter-42 */
export function generateRoomName() {
  const pick = (/** @type {string[]} */ list) => list[Math.floor(Math.random() * list.length)];
  return `${pick(ADJECTIVES)}-${pick(ANIMALS)}-${Math.floor(Math.random() * 90 + 10)}`;
}

export function rememberedName() {
  try {
    return localStorage.getItem(NAME_KEY) ?? '';
  } catch {
    return '';
  }
}

export class JoinScreen {
  /**
   * @param {{ room: string | null, audioOn: boolean, videoOn: boolean,
   *           onToggle: (kind: 'audio' | 'video', on: boolean) => void,
   *           onJoin: (choice: { room: string, name: string }) => void }} options
   */
  constructor({ room, audioOn, videoOn, onToggle, onJoin }) {
    this.form = byId('join-form', HTMLFormElement);
    this.roomInput = byId('room-input', HTMLInputElement);
    this.nameInput = byId('name-input', HTMLInputElement);
    this.error = byId('join-error');
    this.preview = byId('preview', HTMLVideoElement);
    this.previewOff = byId('preview-off');
    this.meter = byId('level-meter', HTMLMeterElement);
    this.problem = byId('preview-problem');
    this.micButton = byId('preview-mic', HTMLButtonElement);
    this.cameraButton = byId('preview-camera', HTMLButtonElement);
    this.joinButton = byId('join-button', HTMLButtonElement);
    this.audioOn = audioOn;
    this.videoOn = videoOn;

    if (room) {
      this.roomInput.value = room;
      this.roomInput.readOnly = true;
      byId('room-field').classList.add('fixed');
      byId('join-title').textContent = 'Ready to join?';
      byId('join-subtitle').textContent = `Room “${room}”`;
    } else {
      this.roomInput.value = generateRoomName();
    }
    this.nameInput.value = rememberedName();
    this.#renderToggles();

    this.micButton.addEventListener('click', () => {
      this.audioOn = !this.audioOn;
      this.#renderToggles();
      onToggle('audio', this.audioOn);
    });
    this.cameraButton.addEventListener('click', () => {
      this.videoOn = !this.videoOn;
      this.#renderToggles();
      onToggle('video', this.videoOn);
    });
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      const roomName = this.roomInput.value.trim().toLowerCase();
      const name = this.nameInput.value.trim();
      if (!validRoom(roomName)) return this.#fail('Room names use letters, digits, - and _ (up to 64).');
      if (!validName(name)) return this.#fail('Enter a name of up to 40 characters, without < > " \' & `.');
      try {
        localStorage.setItem(NAME_KEY, name);
      } catch {
        // Not remembered; fine.
      }
      onJoin({ room: roomName, name });
    });
    (room ? this.nameInput : this.nameInput.value ? this.roomInput : this.nameInput).focus();
  }

  /** @param {MediaStream} stream @param {boolean} hasVideo */
  showPreview(stream, hasVideo) {
    if (this.preview.srcObject !== stream) this.preview.srcObject = stream;
    this.preview.play().catch(() => {});
    this.previewOff.hidden = hasVideo;
  }

  /** @param {string | null} text */
  showProblem(text) {
    this.problem.textContent = text ?? '';
    this.problem.hidden = !text;
  }

  /** @param {number} level 0..1 */
  setLevel(level) {
    this.meter.value = level;
    this.meter.dataset.level = level.toFixed(3);
  }

  /** @param {boolean} busy */
  setBusy(busy) {
    this.joinButton.disabled = busy;
    this.joinButton.textContent = busy ? 'Joining…' : 'Join meeting';
  }

  /** @param {string} text */
  #fail(text) {
    this.error.textContent = text;
    this.error.hidden = false;
  }

  #renderToggles() {
    this.micButton.innerHTML = this.audioOn ? icons.mic : icons.micOff;
    this.micButton.setAttribute('aria-pressed', String(!this.audioOn));
    this.micButton.title = this.audioOn ? 'Turn microphone off' : 'Turn microphone on';
    this.cameraButton.innerHTML = this.videoOn ? icons.camera : icons.cameraOff;
    this.cameraButton.setAttribute('aria-pressed', String(!this.videoOn));
    this.cameraButton.title = this.videoOn ? 'Turn camera off' : 'Turn camera on';
  }
}

// @ts-check
/** The call's control bar: microphone, camera, devices, chat, leave. */
import { byId } from './dom.js';
import { icons } from './icons.js';

export class Controls {
  /**
   * @param {{ onMic: () => void, onCamera: () => void, onLeave: () => void }} actions
   */
  constructor(actions) {
    this.mic = byId('toggle-mic', HTMLButtonElement);
    this.camera = byId('toggle-camera', HTMLButtonElement);
    this.settings = byId('toggle-settings', HTMLButtonElement);
    this.chat = byId('toggle-chat', HTMLButtonElement);
    this.leave = byId('leave', HTMLButtonElement);
    this.popover = byId('settings-popover');
    this.settings.innerHTML = icons.settings;
    this.chat.insertAdjacentHTML('afterbegin', icons.chat);
    this.leave.innerHTML = icons.leave;
    this.mic.addEventListener('click', actions.onMic);
    this.camera.addEventListener('click', actions.onCamera);
    this.leave.addEventListener('click', actions.onLeave);
    this.settings.addEventListener('click', () => this.setSettingsOpen(this.popover.hidden));
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.setSettingsOpen(false);
    });
    // A click outside the open device panel closes it.
    document.addEventListener('pointerdown', (e) => {
      const target = e.target;
      if (this.popover.hidden || !(target instanceof Node)) return;
      if (!this.popover.contains(target) && !this.settings.contains(target)) this.setSettingsOpen(false);
    });
  }

  /** @param {boolean} open */
  setSettingsOpen(open) {
    this.popover.hidden = !open;
    this.settings.setAttribute('aria-expanded', String(open));
  }

  /** @param {{ micOn: boolean, cameraOn: boolean }} state */
  render({ micOn, cameraOn }) {
    if (this.mic.dataset.on !== String(micOn)) {
      this.mic.dataset.on = String(micOn);
      this.mic.innerHTML = micOn ? icons.mic : icons.micOff;
    }
    this.mic.setAttribute('aria-pressed', String(!micOn));
    this.mic.title = micOn ? 'Mute microphone' : 'Unmute microphone';
    if (this.camera.dataset.on !== String(cameraOn)) {
      this.camera.dataset.on = String(cameraOn);
      this.camera.innerHTML = cameraOn ? icons.camera : icons.cameraOff;
    }
    this.camera.setAttribute('aria-pressed', String(!cameraOn));
    this.camera.title = cameraOn ? 'Turn camera off' : 'Turn camera on';
  }
}

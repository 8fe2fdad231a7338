// Signing in for the planner's and the official's pages: the session
// (cookie, HttpOnly, SameSite=Strict, set by the server), the CSRF token
// every write carries (handed to http.js, through which every request
// goes) and a sign-in panel. Residents never need any of this.

import { getJson, postJson, useSession } from './http.js';
import { h } from './dom.js';
import { errorText, t, translate } from './i18n.js';

let current; // undefined: not asked yet; null: signed out; else /api/auth/me
let asking = null;

useSession({
  csrfToken: () => current?.csrf_token ?? null,
  // The server forgot the session (expired, signed out elsewhere).
  unauthorized: () => {
    if (current) {
      current = null;
      changed();
    }
  },
});

/** Who is signed in (`{user, role, scope, csrf_token, expires_at}`), or null. */
export function session() {
  if (current !== undefined) return Promise.resolve(current);
  // Always 200 (`{session: null}` when signed out), so a signed-out
  // visitor's console shows no failed request.
  asking ??= getJson('/api/auth/session')
    .then((r) => r?.session ?? null)
    .catch(() => null)
    .then((me) => {
      current = me;
      asking = null;
      return me;
    });
  return asking;
}

function changed() {
  window.dispatchEvent(new CustomEvent('sessionchange', { detail: current }));
}

/** Sign in; resolves to the session or throws ApiError (`invalid_credentials`, `rate_limited`). */
export async function login(username, password) {
  current = await postJson('/api/auth/login', { username, password });
  changed();
  return current;
}

/** Sign out (the server deletes the session and clears the cookie). */
export async function logout() {
  try {
    await postJson('/api/auth/logout', {});
  } finally {
    current = null;
    changed();
  }
}

/**
 * A sign-in panel. `why` is an i18n key for the line above the form.
 * Calls onSignedIn(session) after a successful login.
 */
export function loginPanel(why, onSignedIn) {
  const message = h('p', { class: 'message error', role: 'alert', hidden: true });
  const user = h('input', { name: 'username', autocomplete: 'username', required: true, id: 'login-user' });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, id: 'login-pass' });
  const submit = h('button', { type: 'submit', class: 'button', 'data-i18n': 'login.submit' });
  const form = h('form', {
    class: 'login-form',
    onsubmit: async (e) => {
      e.preventDefault();
      submit.disabled = true;
      message.hidden = true;
      try {
        const me = await login(user.value.trim(), pass.value);
        onSignedIn(me);
      } catch (err) {
        message.textContent = err.code === 'invalid_credentials' ? t('login.invalid')
          : err.code === 'rate_limited' ? t('login.limited') : t('login.failed', { message: errorText(err) });
        message.hidden = false;
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('label', { for: 'login-user', 'data-i18n': 'login.username' }), user,
  h('label', { for: 'login-pass', 'data-i18n': 'login.password' }), pass,
  submit);
  const panel = h('section', { class: 'panel login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title', 'data-i18n': 'login.title' }),
    h('p', { class: 'message', 'data-i18n': why }),
    form, message);
  translate(panel);
  window.addEventListener('langchange', () => translate(panel));
  return panel;
}

/** The header's "user · sign out" element; follows sessionchange. */
export function userBadge() {
  const el = h('div', { class: 'user', id: 'user-badge' });
  const render = (me) => {
    el.replaceChildren();
    if (!me) return;
    el.append(
      h('span', { class: 'user-name', title: t(`role.${me.role}`) }, me.user),
      h('button', {
        type: 'button', class: 'link', id: 'logout', 'data-i18n': 'login.logout',
        onclick: () => logout().then(() => location.reload()),
      }));
    translate(el);
  };
  session().then(render);
  window.addEventListener('sessionchange', (e) => render(e.detail));
  window.addEventListener('langchange', () => session().then(render));
  return el;
}

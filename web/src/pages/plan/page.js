// `/plan`: the planner's page. Signed-out visitors get the sign-in panel;
// once signed in the planner (the other files of this folder) opens on the map.

import { h } from '../../dom.js';
import { createMap } from '../../map.js';
import { loginPanel, session } from '../../session.js';
import { planner } from './planner.js';

export function planPage(main) {
  main.className = 'mapped plan';
  session().then((me) => {
    if (me) {
      planner(main, me);
      return;
    }
    // The public map behind the sign-in panel (no plan data before signing in).
    const backdrop = h('div', { id: 'map', class: 'map' });
    main.append(backdrop);
    const map = createMap(backdrop);
    main.append(loginPanel('login.plan', (signedIn) => {
      map.remove();
      main.replaceChildren();
      planner(main, signedIn);
    }));
  });
}

// SPDX-License-Identifier: Apache-2.0
// The console's one route table and its navigation. To add a section (Reports, say): add a
// NAV entry and its ROUTES, and a module under pages/ whose default export is
// `async function render(main, ctx)` (ctx: params, query, setTitle, navigate, refresh, alive,
// who: the signed-in credential or user).
// Page modules are imported on first use; index.html also lists every module as a
// modulepreload so the first visit fetches them in one round (add new ones there too).

export const NAV = [
  { href: '#/courses', label: 'Courses', section: 'courses' },
  { href: '#/learners', label: 'Learners', section: 'learners' },
  { href: '#/reports', label: 'Reports', section: 'reports' },
  { href: '#/credentials', label: 'Credentials', section: 'credentials' },
  { href: '#/forwarding', label: 'Forwarding', section: 'forwarding' },
];

// path patterns: literal segments and :name parameters (URI-decoded into ctx.params)
export const ROUTES = [
  { path: '/courses', section: 'courses', load: () => import('./pages/courses.js') },
  { path: '/courses/:id', section: 'courses', load: () => import('./pages/course.js') },
  { path: '/cmi5/:id', section: 'courses', load: () => import('./pages/cmi5.js') },
  { path: '/learners', section: 'learners', load: () => import('./pages/learners.js') },
  { path: '/learners/:id', section: 'learners', load: () => import('./pages/learner.js') },
  { path: '/reports', section: 'reports', load: () => import('./pages/reports.js') },
  { path: '/reports/activity', section: 'reports', load: () => import('./pages/report_activity.js') },
  { path: '/reports/course/:id', section: 'reports', load: () => import('./pages/report_course.js') },
  { path: '/statements', section: 'reports', load: () => import('./pages/statements.js') },
  { path: '/credentials', section: 'credentials', load: () => import('./pages/credentials.js') },
  { path: '/forwarding', section: 'forwarding', load: () => import('./pages/forwarding.js') },
];

export const DEFAULT_ROUTE = '#/courses';

/** Match "/courses/abc" against the table: {route, params} or null. */
export function matchRoute(path) {
  const parts = path.split('/').filter(Boolean);
  for (const route of ROUTES) {
    const want = route.path.split('/').filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    let ok = true;
    for (let i = 0; i < want.length && ok; i++) {
      if (want[i].startsWith(':')) {
        try {
          params[want[i].slice(1)] = decodeURIComponent(parts[i]);
        } catch {
          ok = false;
        }
      } else if (want[i] !== parts[i]) ok = false;
    }
    if (ok) return { route, params };
  }
  return null;
}

/** Where the console is: a small state over location.hash (works over file:// and http). */
import { create } from 'zustand';

/** The tabs of a job's page; the overview is its plain address. */
export const JOB_TABS = ['overview', 'runs', 'script', 'settings', 'audit'] as const;
export type JobTab = (typeof JOB_TABS)[number];

export type Route =
  | { name: 'dashboard' }
  | { name: 'jobs' }
  | { name: 'job-new' }
  | { name: 'job'; id: number; tab?: JobTab }
  | { name: 'runs' }
  | { name: 'run'; id: number }
  | { name: 'audit' }
  | { name: 'notifications' }
  | { name: 'nodes' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  if (path === '/' || path === '/dashboard') return { name: 'dashboard' };
  let m: RegExpExecArray | null;
  if (path === '/jobs') return { name: 'jobs' };
  if (path === '/jobs/new') return { name: 'job-new' };
  if ((m = /^\/jobs\/(\d+)(?:\/([a-z]+))?$/.exec(path))) {
    const tab = JOB_TABS.find((t) => t === m![2]);
    if (!m[2] || tab === 'overview') return { name: 'job', id: Number(m[1]) };
    if (tab) return { name: 'job', id: Number(m[1]), tab };
  }
  if (path === '/runs') return { name: 'runs' };
  if ((m = /^\/runs\/(\d+)$/.exec(path))) return { name: 'run', id: Number(m[1]) };
  if (path === '/audit') return { name: 'audit' };
  if (path === '/notifications') return { name: 'notifications' };
  if (path === '/nodes') return { name: 'nodes' };
  return { name: 'dashboard' };
}

export function hrefOf(route: Route): string {
  switch (route.name) {
    case 'dashboard':
      return '#/';
    case 'jobs':
      return '#/jobs';
    case 'job-new':
      return '#/jobs/new';
    case 'job':
      return route.tab && route.tab !== 'overview' ? `#/jobs/${route.id}/${route.tab}` : `#/jobs/${route.id}`;
    case 'runs':
      return '#/runs';
    case 'run':
      return `#/runs/${route.id}`;
    case 'audit':
      return '#/audit';
    case 'notifications':
      return '#/notifications';
    case 'nodes':
      return '#/nodes';
  }
}

interface RouteState {
  route: Route;
  /** `replace`: in place of the current history entry (a tab moved to by arrow keys is not a step back). */
  navigate(route: Route, options?: { replace?: boolean }): void;
}

export const useRouteStore = create<RouteState>()(() => ({
  route: typeof location === 'undefined' ? { name: 'dashboard' } : parseRoute(location.hash),
  navigate(route, options) {
    const href = hrefOf(route);
    if (location.hash === href) useRouteStore.setState({ route });
    else if (options?.replace) {
      // replaceState fires no hashchange: the route is set here.
      history.replaceState(history.state, '', href);
      useRouteStore.setState({ route: parseRoute(href) });
    } else location.hash = href;
  },
}));

if (typeof window !== 'undefined') {
  window.addEventListener('hashchange', () => useRouteStore.setState({ route: parseRoute(location.hash) }));
}

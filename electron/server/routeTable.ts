/**
 * The routes this server has, as patterns, so an unknown method on a known
 * path is answered 405 with the methods it does take (Allow), not 404.
 */
import type { FastifyInstance } from 'fastify';

interface Pattern {
  re: RegExp;
  methods: Set<string>;
}

function compile(url: string): RegExp {
  const parts = url.split('/').map((seg) => (seg === '*' ? '.*' : seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${parts.join('/')}$`);
}

export class RouteTable {
  private readonly patterns = new Map<string, Pattern>();

  /** Records every route added from now on (call before registering routes). */
  watch(app: FastifyInstance): void {
    app.addHook('onRoute', (route) => {
      // The console's catch-all static route would claim every path; it does not make a path "known".
      if (route.url === '/*' || route.url === '*') return;
      const p = this.patterns.get(route.url) ?? { re: compile(route.url), methods: new Set<string>() };
      for (const m of [route.method].flat()) p.methods.add(String(m).toUpperCase());
      this.patterns.set(route.url, p);
    });
  }

  /** Every route as [method, url pattern] (tests compare it with the OpenAPI document). */
  list(): [method: string, url: string][] {
    return [...this.patterns.entries()].flatMap(([url, p]) => [...p.methods].map((m) => [m, url] as [string, string]));
  }

  /** The methods a path takes (empty: no route has this path). */
  methodsFor(path: string): string[] {
    const out = new Set<string>();
    for (const p of this.patterns.values()) if (p.re.test(path)) for (const m of p.methods) out.add(m);
    return [...out].sort();
  }
}

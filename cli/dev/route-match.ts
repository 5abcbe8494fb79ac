/**
 * Matches a path against Azure Functions route templates (`v1/connections/{connection}/query`)
 * the way the Functions host does for the routes we use: literal segments compare
 * case-insensitively, `{name}` captures one non-empty segment.
 */
export function matchRoute(template: string, path: string): Record<string, string> | null {
  const t = template.split('/').filter(Boolean);
  const p = path.split('/').filter(Boolean);
  if (t.length !== p.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const seg = t[i];
    const m = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(seg);
    if (m) {
      let value: string;
      try {
        value = decodeURIComponent(p[i]);
      } catch {
        return null;
      }
      if (value.length === 0) return null;
      params[m[1]] = value;
    } else if (seg.toLowerCase() !== p[i].toLowerCase()) {
      return null;
    }
  }
  return params;
}

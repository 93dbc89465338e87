import { api } from '../api';
import type * as C from '../contract';
import { ErrorNote, useLoad } from '../ui';
import { appLabel, type PageProps } from './common';

const OUTCOMES = [
  ['valid', 'valid', '#16a34a'],
  ['rate_limited', 'rate limited', '#d97706'],
  ['usage_exceeded', 'usage exceeded', '#dc2626'],
  ['insufficient_scope', 'insufficient scope', '#9333ea'],
  ['invalid', 'invalid', '#64748b'],
] as const;

/** Each key's uses in the last 24 hours (issue 20): outcomes stacked in one bar per key, and when it was last used. */
function KeyUsage({ tenant }: Pick<PageProps, 'tenant'>) {
  const usage = useLoad(() => api<C.KeyUsageList>('GET', `/tenants/${tenant}/key-usage?hours=24`), [tenant]);
  if (!usage.data) return <ErrorNote error={usage.error} />;
  const keys = usage.data.usage;
  if (keys.length === 0) return <p>No key was used in the last 24 hours. Every Contacts API request and every verification (<code>POST …/v1/keys/verify</code>) is counted here per key, within about 10 seconds.</p>;
  const total = (k: (typeof keys)[number]) => OUTCOMES.reduce((sum, [field]) => sum + k[field], 0);
  const max = Math.max(1, ...keys.map(total));
  return (
    <div class="table-wrap"><table>
      <caption>Uses per key, last 24 hours: {OUTCOMES.map(([, label, color]) => <span key={label} class="legend-item"><span class="swatch" style={{ background: color }} />{label} </span>)}</caption>
      <thead><tr><th scope="col">Key</th><th scope="col">Uses</th><th scope="col">Outcomes</th><th scope="col">Last used</th></tr></thead>
      <tbody>
        {keys.map((k) => (
          <tr key={k.subject}>
            <td>{k.name ?? (k.subject === 'unknown' ? 'unknown keys' : k.subject)} <small>{k.token_id ? 'API token' : k.client_id ? 'app' : ''}</small></td>
            <td>{total(k)}</td>
            <td>
              <svg viewBox="0 0 200 12" width="200" height="12" role="img" aria-label={OUTCOMES.map(([field, label]) => `${label} ${k[field]}`).join(', ')}>
                {(() => {
                  let x = 0;
                  return OUTCOMES.map(([field, label, color]) => {
                    const w = (k[field] / max) * 200;
                    x += w;
                    return k[field] > 0 ? <rect key={field} x={x - w} y={0} width={w} height={12} fill={color}><title>{`${label}: ${k[field]}`}</title></rect> : null;
                  });
                })()}
              </svg>
            </td>
            <td>{new Date(k.last_used_at).toLocaleString()}</td>
          </tr>
        ))}
      </tbody>
    </table></div>
  );
}

/** Tokens issued per app per hour (a stacked bar chart of the last 24 hours), then each key's uses. */
export function UsagePage({ tenant }: PageProps) {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Usage</h1>
      <IssuedTokens tenant={tenant} />
      <h2>Per key</h2>
      <KeyUsage tenant={tenant} />
    </section>
  );
}

function IssuedTokens({ tenant }: Pick<PageProps, 'tenant'>) {
  const usage = useLoad(() => api<C.Usage>('GET', `/tenants/${tenant}/usage?hours=24`), [tenant]);
  const colors = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2'];
  if (!usage.data) return <ErrorNote error={usage.error} />;
  const { apps, hours, from } = usage.data;
  if (apps.length === 0) {
    return <p class="lead">No access tokens were issued in the last 24 hours. Once an app gets tokens at its token endpoint, they are counted here per hour.</p>;
  }
  const totals = Array.from({ length: hours }, (_, i) => apps.reduce((sum, a) => sum + (a.counts[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const width = 720;
  const height = 220;
  const left = 36;
  const bar = (width - left) / hours;
  const start = Date.parse(from);
  return (
    <>
      <p class="lead">Access tokens issued per app per hour, last 24 hours ({totals.reduce((a, b) => a + b, 0)} in total).</p>
      <figure class="chart">
        <svg viewBox={`0 0 ${width} ${height + 24}`} role="img" aria-labelledby="chart-title">
          <title id="chart-title">Tokens issued per hour, stacked by app; highest hour {max}</title>
          {[max, Math.round(max / 2)].filter((v, i, all) => v > 0 && all.indexOf(v) === i).map((v) => {
            const y = height - (v / max) * (height - 10);
            return <g key={`y${v}`}><line x1={left} y1={y} x2={width} y2={y} class="grid" /><text x={left - 6} y={y + 4} class="ytick">{v}</text></g>;
          })}
          <line x1={left} y1={height} x2={width} y2={height} class="axis" />
          {totals.map((_, i) => {
            let y = height;
            return apps.map((a, j) => {
              const value = a.counts[i] ?? 0;
              const h = (value / max) * (height - 10);
              y -= h;
              return value > 0 ? <rect key={`${i}-${j}`} x={left + i * bar + 2} y={y} width={bar - 4} height={h} fill={colors[j % colors.length]}><title>{`${appLabel(a, apps)}: ${value} at ${new Date(start + i * 3_600_000).getHours()}:00`}</title></rect> : null;
            });
          })}
          {totals.map((_, i) => (i % 4 === 0 ? <text key={`t${i}`} x={left + i * bar + bar / 2} y={height + 16} class="tick">{`${new Date(start + i * 3_600_000).getHours()}:00`}</text> : null))}
        </svg>
        <figcaption>
          <ul class="legend">
            {apps.map((a, j) => <li key={a.client_id}><span class="swatch" style={{ background: colors[j % colors.length] }} />{appLabel(a, apps)} <small>({a.counts.reduce((x, y) => x + y, 0)})</small></li>)}
          </ul>
        </figcaption>
      </figure>
    </>
  );
}

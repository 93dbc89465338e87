import { api } from '../api';
import type * as C from '../contract';
import { ErrorNote, useLoad } from '../ui';
import { appLabel, type PageProps } from './common';

/** Tokens issued per app per hour: a stacked bar chart of the last 24 hours. */
export function UsagePage({ tenant }: PageProps) {
  const usage = useLoad(() => api<C.Usage>('GET', `/tenants/${tenant}/usage?hours=24`), [tenant]);
  const colors = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2'];
  if (!usage.data) return <section><h1 id="page-title">Usage</h1><ErrorNote error={usage.error} /></section>;
  const { apps, hours, from } = usage.data;
  if (apps.length === 0) {
    return <section aria-labelledby="page-title"><h1 id="page-title">Usage</h1><p class="lead">No access tokens were issued in the last 24 hours. Once an app gets tokens at its token endpoint, they are counted here per hour.</p></section>;
  }
  const totals = Array.from({ length: hours }, (_, i) => apps.reduce((sum, a) => sum + (a.counts[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const width = 720;
  const height = 220;
  const left = 36;
  const bar = (width - left) / hours;
  const start = Date.parse(from);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Usage</h1>
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
    </section>
  );
}

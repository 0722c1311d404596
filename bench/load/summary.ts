import type { LoadResult, StatusStats } from './spec.js';

/** One measured slice, as the load-generator child reports it: every answer's latency (ms) and status. */
export interface RawRun {
  latencies: number[];
  statuses: number[];
  /** Answers with a Retry-After header, by status. */
  retryAfter: Record<string, number>;
  errors: number;
  timeouts: number;
  seconds: number;
  feedExhausted: number;
  /** CPU seconds the server process used during the slice (filled in by the parent when it knows the pid). */
  serverCpuSeconds?: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Statistics over one or more slices of the same load (interleaved rounds are added up). */
export function summarise(label: string, runs: RawRun[]): LoadResult {
  const latencies = runs.flatMap((r) => r.latencies);
  const statuses = runs.flatMap((r) => r.statuses);
  const seconds = runs.reduce((sum, r) => sum + r.seconds, 0);
  const groups = new Map<number, number[]>();
  statuses.forEach((status, i) => {
    if (!groups.has(status)) groups.set(status, []);
    groups.get(status)!.push(latencies[i]!);
  });
  const byStatus: Record<string, StatusStats> = {};
  for (const [status, list] of groups) {
    list.sort((a, b) => a - b);
    const withRetryAfter = runs.reduce((sum, r) => sum + (r.retryAfter[String(status)] ?? 0), 0);
    byStatus[String(status)] = { count: list.length, p50: percentile(list, 50), p99: percentile(list, 99), max: list.at(-1)!, withRetryAfter };
  }
  const all = [...latencies].sort((a, b) => a - b);
  const ok = statuses.filter((s) => s >= 200 && s < 300).length;
  return {
    label,
    ok,
    total: statuses.length,
    seconds,
    rps: seconds > 0 ? ok / seconds : 0,
    p50: percentile(all, 50),
    p90: percentile(all, 90),
    p99: percentile(all, 99),
    max: all.at(-1) ?? 0,
    byStatus,
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    timeouts: runs.reduce((sum, r) => sum + r.timeouts, 0),
    feedExhausted: runs.reduce((sum, r) => sum + r.feedExhausted, 0),
    ...(runs.every((r) => r.serverCpuSeconds !== undefined) && statuses.length
      ? { serverCpuMsPerRequest: (runs.reduce((sum, r) => sum + r.serverCpuSeconds!, 0) * 1000) / statuses.length }
      : {}),
  };
}

// The part of autocannon's API the soak test uses (the package ships no types).
declare module 'autocannon' {
  interface Request {
    method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    path?: string;
    headers?: Record<string, string>;
    body?: string;
  }
  interface Result {
    requests: { total: number; average: number };
    latency: { p50: number; p99: number; max: number };
    statusCodeStats?: Record<string, { count: number }>;
    non2xx: number;
    errors: number;
    timeouts: number;
  }
  export default function autocannon(options: { url: string; connections?: number; duration?: number; requests?: Request[] }): Promise<Result>;
}

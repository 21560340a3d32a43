import type { AxiosInstance, AxiosRequestConfig } from 'axios';
import { ReporterClient } from '../src/store/reporter-client.js';

/**
 * A ReporterClient over a fake HTTP layer: `answer` plays the reporter for every request, and
 * `sent` records what the client asked, in order. Retries sleep on a fake clock.
 */

export type Answer = { status: number; data: unknown };
export interface Sent {
  method: string;
  url: string;
  params?: unknown;
  data?: unknown;
}

export function client(answer: (config: Sent) => Answer): { reporter: ReporterClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const request = async (config: AxiosRequestConfig) => {
    const c = {
      method: config.method ?? 'GET',
      url: config.url ?? '',
      params: config.params,
      data: config.data,
    };
    sent.push(c);
    return answer(c);
  };
  let clock = 0;
  const reporter = new ReporterClient({
    baseUrl: 'http://127.0.0.1:9',
    budgetMs: 1000,
    http: async () => ({ request }) as unknown as AxiosInstance,
    sleep: async (ms) => {
      clock += ms;
    },
    now: () => clock,
  });
  return { reporter, sent };
}

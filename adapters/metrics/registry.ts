/**
 * A small Prometheus registry: counters, gauges and histograms with labels,
 * rendered in the text exposition format (version 0.0.4). Metric names follow
 * the upstream components (e.g. kubeproxy_sync_proxy_rules_duration_seconds).
 */
type Labels = Record<string, string>;

interface Series {
  labels: Labels;
  value: number;
  buckets?: number[];
  sum?: number;
  count?: number;
}

interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  bounds?: number[];
  series: Map<string, Series>;
}

function key(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function renderLabels(labels: Labels, extra?: [string, string]): string {
  const entries = Object.entries(labels);
  if (extra) entries.push(extra);
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

function formatNumber(n: number): string {
  if (n === Number.POSITIVE_INFINITY) return "+Inf";
  if (n === Number.NEGATIVE_INFINITY) return "-Inf";
  if (Number.isNaN(n)) return "NaN";
  return String(n);
}

/** Prometheus' default histogram buckets. */
export const defaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Exponential buckets, as prometheus.ExponentialBuckets. */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

export interface Counter {
  inc(labels?: Labels, by?: number): void;
  get(labels?: Labels): number;
}
export interface Gauge {
  set(value: number, labels?: Labels): void;
  inc(labels?: Labels, by?: number): void;
  get(labels?: Labels): number;
}
export interface Histogram {
  observe(value: number, labels?: Labels): void;
  count(labels?: Labels): number;
}

export class MetricsRegistry {
  #families = new Map<string, Family>();

  #family(name: string, help: string, type: Family["type"], bounds?: number[]): Family {
    const existing = this.#families.get(name);
    if (existing) return existing;
    const family: Family = { name, help, type, bounds, series: new Map() };
    this.#families.set(name, family);
    return family;
  }

  #series(family: Family, labels: Labels): Series {
    const k = key(labels);
    let s = family.series.get(k);
    if (!s) {
      s = { labels: { ...labels }, value: 0 };
      if (family.bounds) {
        s.buckets = family.bounds.map(() => 0);
        s.sum = 0;
        s.count = 0;
      }
      family.series.set(k, s);
    }
    return s;
  }

  counter(name: string, help: string): Counter {
    const f = this.#family(name, help, "counter");
    return {
      inc: (labels = {}, by = 1) => {
        this.#series(f, labels).value += by;
      },
      get: (labels = {}) => f.series.get(key(labels))?.value ?? 0,
    };
  }

  gauge(name: string, help: string): Gauge {
    const f = this.#family(name, help, "gauge");
    return {
      set: (value, labels = {}) => {
        this.#series(f, labels).value = value;
      },
      inc: (labels = {}, by = 1) => {
        this.#series(f, labels).value += by;
      },
      get: (labels = {}) => f.series.get(key(labels))?.value ?? 0,
    };
  }

  histogram(name: string, help: string, buckets: number[] = defaultBuckets): Histogram {
    const f = this.#family(
      name,
      help,
      "histogram",
      [...buckets].sort((a, b) => a - b),
    );
    return {
      observe: (value, labels = {}) => {
        const s = this.#series(f, labels);
        f.bounds!.forEach((b, i) => {
          if (value <= b) s.buckets![i]!++;
        });
        s.sum! += value;
        s.count!++;
      },
      count: (labels = {}) => f.series.get(key(labels))?.count ?? 0,
    };
  }

  /** The registry in the Prometheus text format. */
  render(): string {
    const out: string[] = [];
    for (const f of this.#families.values()) {
      out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
      out.push(`# TYPE ${f.name} ${f.type}`);
      for (const s of f.series.values()) {
        if (f.type !== "histogram") {
          out.push(`${f.name}${renderLabels(s.labels)} ${formatNumber(s.value)}`);
          continue;
        }
        f.bounds!.forEach((b, i) => {
          out.push(`${f.name}_bucket${renderLabels(s.labels, ["le", formatNumber(b)])} ${s.buckets![i]}`);
        });
        out.push(`${f.name}_bucket${renderLabels(s.labels, ["le", "+Inf"])} ${s.count}`);
        out.push(`${f.name}_sum${renderLabels(s.labels)} ${formatNumber(s.sum!)}`);
        out.push(`${f.name}_count${renderLabels(s.labels)} ${s.count}`);
      }
    }
    return `${out.join("\n")}\n`;
  }
}

/** The content type of the text exposition format. */
export const metricsContentType = "text/plain; version=0.0.4; charset=utf-8";

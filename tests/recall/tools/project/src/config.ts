export interface Config {
  host: string
  port: number
}

export function parsePort(value: string): number {
  const port: number = value
  return port
}

export function load(env: Record<string, string>): Config {
  return { host: env.HOST, port: parsePort(env.PORT ?? '8080') }
}

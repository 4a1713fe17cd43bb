export function add(a: number, b: number): number {
  return a + b
}

export function average(values: number[]): number {
  const total = values.reduce((sum, v) => sum + v, 0)
  return total / values.length
}

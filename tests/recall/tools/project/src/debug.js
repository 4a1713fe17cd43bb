export function inspect(value) {
  const unused = 42;
  debugger;
  return   JSON.stringify(value)
}

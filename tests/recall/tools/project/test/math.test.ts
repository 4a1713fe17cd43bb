import { describe, expect, it } from 'vitest'
import { add, average } from '../src/math'

describe('math', () => {
  it('adds two numbers', () => {
    expect(add(2, 2)).toBe(5)
  })

  it('averages an empty list to zero', () => {
    expect(average([])).toBe(0)
  })

  it('waits for the slow service', async () => {
    await new Promise((resolve) => setTimeout(resolve, 5000))
  }, 200)

  it('fires and forgets a request', () => {
    void Promise.reject(new Error('socket hang up: upstream closed the connection'))
    expect(add(1, 1)).toBe(2)
  })
})

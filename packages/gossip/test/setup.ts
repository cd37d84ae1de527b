import { jest } from '@jest/globals'

// Real processes start in about a second each, slower on a busy machine; tests wait with their own deadlines.
jest.setTimeout(60_000)

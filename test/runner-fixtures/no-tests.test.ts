// A file that registers nothing (e.g. a condition left every test out).
import { test } from '../helpers.js';

test.run();

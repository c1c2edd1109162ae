/**
 * The lessons, in order.
 * @module
 */
import type { Lesson } from "../types.ts";
import { lesson0 } from "./lesson0.ts";
import { lesson1 } from "./lesson1.ts";
import { lesson2 } from "./lesson2.ts";
import { lesson3 } from "./lesson3.ts";

export const LESSONS: Lesson[] = [lesson0, lesson1, lesson2, lesson3];

/**
 * Order vocabulary shared by the CAO/LIST use cases, the order-folder writer and the wizard.
 *
 * Glossary: an order is `cao` (active inventory minus the VIN log) or `list` (vehicles the user
 * names). Each ordered vehicle carries the reason it was ordered; each skipped one the reason it
 * was not (DESIGN.md rule 3c).
 */
import type { Condition } from './dealership.js';

export type OrderType = 'cao' | 'list';

/** Why a CAO candidate was ordered. */
export const ORDERED_REASONS = ['new', 'cross_dealership', 'condition_changed'] as const;
/** Why a CAO candidate was skipped by the VIN log. */
export const SKIPPED_REASONS = ['recent', 'already_ordered'] as const;
/** Why a LIST entry was ordered: found in the active snapshot, or a placeholder. */
export const LIST_REASONS = ['listed', 'not_on_website'] as const;

export type OrderedReason = (typeof ORDERED_REASONS)[number];
export type SkippedReason = (typeof SKIPPED_REASONS)[number];
export type ListReason = (typeof LIST_REASONS)[number];
export type VehicleReason = OrderedReason | SkippedReason | ListReason;

/** One vehicle of an order, as written to the CSV, the billing sheet and order_vehicles. */
export interface OrderVehicle {
  vin: string;
  stock: string | null;
  year: number | null;
  make: string | null;
  model: string | null;
  trim: string | null;
  condition: Condition;
  price: number | null;
  url: string | null;
  reason: VehicleReason;
  /** LIST placeholder: the VIN or stock number was not in the active snapshot. */
  notOnWebsite: boolean;
}

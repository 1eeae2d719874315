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

/**
 * The fields of a vehicle that the operator's tables, an order's rows (order_vehicles, its CSV and
 * billing sheet) and an inventory row share: one list, copied field by field nowhere else.
 */
export const VEHICLE_FIELDS = [
  'vin',
  'stock',
  'year',
  'make',
  'model',
  'trim',
  'condition',
  'price',
  'url',
] as const;

/** The VEHICLE_FIELDS of a vehicle; `C` is how its condition is typed where it is stored. */
export interface VehicleFields<C = Condition> {
  vin: string;
  stock: string | null;
  year: number | null;
  make: string | null;
  model: string | null;
  trim: string | null;
  condition: C;
  price: number | null;
  url: string | null;
}

/** A vehicle as reported: the fields the operator's table shows. */
export type ReportedVehicle = VehicleFields<string>;

/** Just the VEHICLE_FIELDS of `v` (a wider record stays out of reports and order rows). */
export function vehicleFields<C>(v: VehicleFields<C>): VehicleFields<C> {
  const out: Partial<Record<keyof VehicleFields<C>, unknown>> = {};
  for (const f of VEHICLE_FIELDS) out[f] = v[f];
  return out as VehicleFields<C>;
}

/** The fields the operator's tables show, of an inventory or order vehicle (CAO, LIST, vinlog). */
export function reported(v: VehicleFields<string>): ReportedVehicle {
  return vehicleFields(v);
}

/** The order row of a selected vehicle. */
export function orderVehicle(v: VehicleFields, reason: VehicleReason, notOnWebsite = false): OrderVehicle {
  return { ...vehicleFields(v), reason, notOnWebsite };
}

/** One vehicle of an order, as written to the CSV, the billing sheet and order_vehicles. */
export interface OrderVehicle extends VehicleFields {
  reason: VehicleReason;
  /** LIST placeholder: the VIN or stock number was not in the active snapshot. */
  notOnWebsite: boolean;
}

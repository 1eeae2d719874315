/**
 * The billing sheet of an order (`<slug>_billing.csv`): what the shop charges the dealership
 * for. A spreadsheet for people, in sections separated by an empty record, every record padded
 * to the same number of fields (RFC 4180):
 *
 *   header lines      Billing/Order/Type/Created/Template
 *   Printed vehicles  one line per vehicle of the order, in order
 *   Totals            vehicles by condition (new, po, cpo, unknown) and the total printed
 *   Duplicates        entries the operator gave twice (LIST), removed before ordering
 *   Not on website    vehicles ordered from a placeholder (LIST), not found in the active snapshot
 *
 * The last two sections are there for CAO orders too (with 0), so the sheet always has one shape.
 */
import { CONDITIONS, type Condition } from '../core/dealership.js';
import type { OrderType, OrderVehicle } from '../core/order.js';
import { formatCsv } from './csv.js';
import { localDateTime } from '../core/calendar.js';

export interface BillingInput {
  orderId: number;
  orderType: OrderType;
  dealershipName: string;
  createdAt: Date;
  templateName: string;
  vehicles: readonly OrderVehicle[];
  duplicates: readonly string[];
}

/** `YYYY-MM-DD HH:MM:SS`, local time (the time the operator saw). */
export const localTimestamp = localDateTime;

/** Vehicles per condition, every condition present (0 when none). */
export function countByCondition(
  vehicles: readonly Pick<OrderVehicle, 'condition'>[],
): Record<Condition, number> {
  const counts = Object.fromEntries(CONDITIONS.map((c) => [c, 0])) as Record<Condition, number>;
  for (const v of vehicles) counts[v.condition]++;
  return counts;
}

/** The records of the billing sheet, before CSV encoding. */
export function billingRecords(input: BillingInput): string[][] {
  const byCondition = countByCondition(input.vehicles);
  const notOnWebsite = input.vehicles.filter((v) => v.notOnWebsite);
  return [
    ['Billing', input.dealershipName],
    ['Order', String(input.orderId)],
    ['Type', input.orderType.toUpperCase()],
    ['Created', localTimestamp(input.createdAt)],
    ['Template', input.templateName],
    [],
    ['Printed vehicles', String(input.vehicles.length)],
    ['Line', 'VIN', 'Stock', 'Year', 'Make', 'Model', 'Trim', 'Condition', 'Price', 'Reason', 'On website'],
    ...input.vehicles.map((v, i) => [
      String(i + 1),
      v.vin,
      v.stock ?? '',
      v.year === null ? '' : String(v.year),
      v.make ?? '',
      v.model ?? '',
      v.trim ?? '',
      v.condition,
      v.price === null ? '' : String(v.price),
      v.reason,
      v.notOnWebsite ? 'no' : 'yes',
    ]),
    [],
    ['Totals by condition'],
    ['Condition', 'Vehicles'],
    ...CONDITIONS.map((c) => [c, String(byCondition[c])]),
    ['Total printed', String(input.vehicles.length)],
    [],
    ['Duplicate entries removed', String(input.duplicates.length)],
    ...input.duplicates.map((d) => ['', d]),
    [],
    ['Not on website', String(notOnWebsite.length)],
    ...notOnWebsite.map((v) => ['', v.vin, v.stock ?? '']),
  ];
}

/** The billing sheet as CSV text. */
export function formatBillingCsv(input: BillingInput): string {
  return formatCsv(null, billingRecords(input), { pad: true });
}

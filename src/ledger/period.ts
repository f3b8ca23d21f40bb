/** How often a budget refills, as the policy names it. */
export type BudgetPeriod = 'year' | 'month' | 'all';

/**
 * The key of the budget period that `now` falls in ('2026', '2026-12' or 'all').
 * UTC, so every replica and time zone agrees on where a period ends.
 */
export function periodKey(period: BudgetPeriod, now: Date): string {
  const year = String(now.getUTCFullYear()).padStart(4, '0');
  if (period === 'year') return year;
  if (period === 'month') return `${year}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
  return 'all';
}

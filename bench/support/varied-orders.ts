import type { Order } from '../../lib/orders/schema';

/**
 * Orders as a shop sends them: many users, products of every length, quantities, amounts with
 * cents, several currencies and times. The other cases repeat 100 orders, which compress far
 * better than real traffic would: codecs are compared on these (seeded, so every run sees the same).
 */
const PRODUCTS = [
  'Laptop',
  'Wireless mouse',
  'USB-C to USB-C cable, 2 m, braided',
  'Monitor 27" 4K IPS, height-adjustable stand',
  'Mechanical keyboard (DE layout, brown switches)',
  'Noise-cancelling headphones',
  'Phone case',
  'Espresso machine with milk frother, 15 bar',
  'Running shoes, size 42',
  'Organic green tea, 100 bags',
  'Desk lamp',
  'Backpack 28 l, water-resistant',
  'Paperback: The Pragmatic Programmer',
  'Garden hose 25 m',
  'LEGO Technic set 42115',
];
const CURRENCIES = ['EUR', 'USD', 'GBP', 'SEK', 'PLN'];

/** A small seeded generator (mulberry32): the same orders on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function variedOrders(count: number, seed = 42): Order[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T;
  const start = Date.parse('2026-11-26T00:00:00Z');
  return Array.from({ length: count }, (_, index) => {
    const order: Order = {
      order_id: `ORD-${(1_000_000 + Math.floor(next() * 9_000_000)).toString(36).toUpperCase()}-${index}`,
      user_id: `customer-${Math.floor(next() * 50_000)}`,
      product: `${pick(PRODUCTS)}${next() < 0.3 ? ` (gift, note: ${Math.floor(next() * 1e6).toString(36)})` : ''}`,
      quantity: 1 + Math.floor(next() * next() * 8),
      amount: Math.round(100 + next() * next() * 250_000) / 100,
    };
    if (next() < 0.8) order.currency = pick(CURRENCIES);
    if (next() < 0.6) order.created_at = new Date(start + Math.floor(next() * 86_400_000)).toISOString();
    return order;
  });
}

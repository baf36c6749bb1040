export type { Quantity, QuantityFormat } from "./quantity.ts";
export {
  addQuantity,
  canonicalQuantity,
  compareQuantity,
  formatQuantity,
  isZeroQuantity,
  negateQuantity,
  parseQuantity,
  quantityFromInt,
  quantityFromMilli,
  quantityMilliValue,
  quantityMilliValueBig,
  quantityScaledValue,
  quantityValue,
  quantityValueBig,
  subtractQuantity,
  zeroQuantity,
} from "./quantity.ts";

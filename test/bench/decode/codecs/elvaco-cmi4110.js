/*
 * TS013 payload codec for the Elvaco CMi4110 (M-Bus module for heat meters).
 * Written for sensorbro from EN 13757-3 and the public payload description;
 * not vendor code.
 * SPDX-License-Identifier: MIT
 *
 * Byte 0 is the message format (0x00 = standard). It is followed by M-Bus data
 * records: DIF [DIFE...] VIF [VIFE...] data (little endian). Only current
 * values are mapped, that is instantaneous records with storage number 0,
 * tariff 0 and subunit 0:
 *   VIF 0x00-0x07       energy        10^(n-3) Wh   -> energy_kwh
 *   VIF 0x10-0x17       volume        10^(n-6) m3   -> volume_m3
 *   VIF 0x28-0x2F       power         10^(n-3) W    -> power_kw
 *   VIF 0x38-0x3F       volume flow   10^(n-6) m3/h -> flow_m3h
 *   VIF 0x58-0x5B       flow temp.    10^(n-3) C    -> flow_temp_c
 *   VIF 0x5C-0x5F       return temp.  10^(n-3) C    -> return_temp_c
 *   VIF 0x78            fabrication number          -> serial (string)
 *   VIF 0xFD VIFE 0x17  error flags                 -> error_flags
 * Other records are skipped. An unsupported data field or a truncated record
 * stops decoding with a warning.
 */
var DATA_FIELDS = {
  0x0: { size: 0, bcd: false },
  0x1: { size: 1, bcd: false },
  0x2: { size: 2, bcd: false },
  0x3: { size: 3, bcd: false },
  0x4: { size: 4, bcd: false },
  0x6: { size: 6, bcd: false },
  0x9: { size: 1, bcd: true },
  0xa: { size: 2, bcd: true },
  0xb: { size: 3, bcd: true },
  0xc: { size: 4, bcd: true },
  0xe: { size: 6, bcd: true }
};
var MAX_EXTENSIONS = 10;

function decodeUplink(input) {
  var bytes = input.bytes;
  var data = {};
  var warnings = [];

  if (!bytes || bytes.length === 0) {
    return { errors: ['empty payload'] };
  }
  if (bytes[0] !== 0x00) {
    warnings.push('message format 0x' + hex(bytes[0]) + ' is not the standard format; decoded generically');
  }

  var i = 1;
  while (i < bytes.length) {
    var start = i;
    var dif = bytes[i++];
    if (dif === 0x2f) continue; // idle filler
    if (dif === 0x0f || dif === 0x1f) {
      warnings.push('manufacturer specific data at byte ' + start + ' ignored');
      break;
    }

    var storage = (dif >> 6) & 0x01;
    var func = (dif >> 4) & 0x03;
    var tariff = 0;
    var subunit = 0;
    var extensions = 0;
    var more = (dif & 0x80) !== 0;
    while (more && i < bytes.length && extensions < MAX_EXTENSIONS) {
      var dife = bytes[i++];
      storage |= (dife & 0x0f) << (1 + 4 * extensions);
      tariff |= ((dife >> 4) & 0x03) << (2 * extensions);
      subunit |= ((dife >> 6) & 0x01) << extensions;
      extensions++;
      more = (dife & 0x80) !== 0;
    }
    if (more || i >= bytes.length) {
      warnings.push('truncated record header at byte ' + start);
      break;
    }

    var vif = bytes[i++];
    var vifes = [];
    more = (vif & 0x80) !== 0;
    while (more && i < bytes.length && vifes.length < MAX_EXTENSIONS) {
      var vife = bytes[i++];
      vifes.push(vife & 0x7f);
      more = (vife & 0x80) !== 0;
    }
    if (more) {
      warnings.push('truncated record header at byte ' + start);
      break;
    }

    var field = DATA_FIELDS[dif & 0x0f];
    if (field === undefined) {
      warnings.push('unsupported data field 0x' + hex(dif & 0x0f) + ' at byte ' + start + '; stopped decoding');
      break;
    }
    if (i + field.size > bytes.length) {
      warnings.push('truncated record data at byte ' + start);
      break;
    }
    var raw = field.bcd ? readBcd(bytes, i, field.size) : readInt(bytes, i, field.size);
    i += field.size;

    if (field.size === 0 || storage !== 0 || tariff !== 0 || subunit !== 0 || func !== 0) continue;
    if (raw === null) {
      warnings.push('invalid BCD value at byte ' + start);
      continue;
    }
    assign(data, vif, vifes, raw);
  }

  return { data: data, warnings: warnings };
}

function assign(data, vif, vifes, raw) {
  if (vif === 0xfd) {
    if (vifes.length === 1 && vifes[0] === 0x17) data.error_flags = raw.value;
    return;
  }
  // Combinable VIF extensions change the meaning of a value; not needed here.
  if (vifes.length > 0 || (vif & 0x80) !== 0) return;

  if (vif <= 0x07) {
    data.energy_kwh = scale(raw.value, (vif & 0x07) - 3 - 3);
  } else if (vif >= 0x10 && vif <= 0x17) {
    data.volume_m3 = scale(raw.value, (vif & 0x07) - 6);
  } else if (vif >= 0x28 && vif <= 0x2f) {
    data.power_kw = scale(raw.value, (vif & 0x07) - 3 - 3);
  } else if (vif >= 0x38 && vif <= 0x3f) {
    data.flow_m3h = scale(raw.value, (vif & 0x07) - 6);
  } else if (vif >= 0x58 && vif <= 0x5b) {
    data.flow_temp_c = scale(raw.value, (vif & 0x03) - 3);
  } else if (vif >= 0x5c && vif <= 0x5f) {
    data.return_temp_c = scale(raw.value, (vif & 0x03) - 3);
  } else if (vif === 0x78) {
    data.serial = raw.digits !== undefined ? raw.digits : String(raw.value);
  }
}

/* Multiply by 10^exponent; divide for negative exponents to keep decimals exact. */
function scale(value, exponent) {
  return exponent >= 0 ? value * Math.pow(10, exponent) : value / Math.pow(10, -exponent);
}

/* Little-endian two's complement integer of `size` bytes (size <= 6). */
function readInt(bytes, at, size) {
  var value = 0;
  for (var k = size - 1; k >= 0; k--) value = value * 256 + bytes[at + k];
  if (size === 0) return { value: 0 };
  var half = Math.pow(2, 8 * size - 1);
  return { value: value >= half ? value - 2 * half : value };
}

/* Little-endian packed BCD; 0xF in the most significant digit means negative. */
function readBcd(bytes, at, size) {
  var digits = '';
  var negative = false;
  for (var k = size - 1; k >= 0; k--) {
    var high = bytes[at + k] >> 4;
    var low = bytes[at + k] & 0x0f;
    if (k === size - 1 && high === 0x0f) {
      negative = true;
      high = 0;
    }
    if (high > 9 || low > 9) return null;
    digits += String(high) + String(low);
  }
  var value = parseInt(digits, 10);
  return { value: negative ? -value : value, digits: digits };
}

function hex(b) {
  return (b < 16 ? '0' : '') + b.toString(16);
}

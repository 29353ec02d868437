/*
 * TS013 payload codec for the Milesight EM300-DI pulse counter / dry contact sensor.
 * Written for sensorbro from the public uplink format description; not vendor code.
 * SPDX-License-Identifier: MIT
 *
 * The payload is a sequence of records: channel id, channel type, value
 * (little endian).
 *   0x01 0x75  battery      uint8, %
 *   0x03 0x67  temperature  int16 / 10, degrees C
 *   0x04 0x68  humidity     uint8 / 2, %RH
 *   0x05 0x00  gpio         uint8 (digital input level)
 *   0x05 0xC8  pulse        uint32, pulse counter
 * An unknown channel/type or a truncated record stops decoding with a warning.
 */
var RECORDS = [
  { channel: 0x01, type: 0x75, size: 1, name: 'battery', read: function (b, i) { return b[i]; } },
  { channel: 0x03, type: 0x67, size: 2, name: 'temperature', read: function (b, i) { return int16(b, i) / 10; } },
  { channel: 0x04, type: 0x68, size: 1, name: 'humidity', read: function (b, i) { return b[i] / 2; } },
  { channel: 0x05, type: 0x00, size: 1, name: 'gpio', read: function (b, i) { return b[i]; } },
  { channel: 0x05, type: 0xc8, size: 4, name: 'pulse', read: function (b, i) { return uint32(b, i); } }
];

function decodeUplink(input) {
  var bytes = input.bytes;
  var data = {};
  var warnings = [];
  var i = 0;

  if (!bytes || bytes.length === 0) {
    return { errors: ['empty payload'] };
  }

  while (i < bytes.length) {
    if (i + 2 > bytes.length) {
      warnings.push('truncated record header at byte ' + i);
      break;
    }
    var record = findRecord(bytes[i], bytes[i + 1]);
    if (record === null) {
      warnings.push('unknown channel 0x' + hex(bytes[i]) + ' type 0x' + hex(bytes[i + 1]) + ' at byte ' + i + '; stopped decoding');
      break;
    }
    if (i + 2 + record.size > bytes.length) {
      warnings.push('truncated ' + record.name + ' record at byte ' + i);
      break;
    }
    data[record.name] = record.read(bytes, i + 2);
    i += 2 + record.size;
  }

  return { data: data, warnings: warnings };
}

function findRecord(channel, type) {
  for (var k = 0; k < RECORDS.length; k++) {
    if (RECORDS[k].channel === channel && RECORDS[k].type === type) return RECORDS[k];
  }
  return null;
}

function int16(b, i) {
  var v = b[i] | (b[i + 1] << 8);
  return v > 0x7fff ? v - 0x10000 : v;
}

function uint32(b, i) {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16)) + b[i + 3] * 0x1000000;
}

function hex(b) {
  return (b < 16 ? '0' : '') + b.toString(16);
}

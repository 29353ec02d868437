/*
 * TS013 payload codec for the Milesight EM310-UDL ultrasonic distance sensor.
 * Written for sensorbro from the public uplink format description; not vendor code.
 * SPDX-License-Identifier: MIT
 *
 * The payload is a sequence of records: channel id, channel type, value
 * (little endian).
 *   0x01 0x75  battery   uint8, %
 *   0x03 0x82  distance  uint16, mm
 *   0x04 0x00  position  uint8, 0 = normal, 1 = tilt
 * An unknown channel/type or a truncated record stops decoding with a warning.
 */
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
    var channel = bytes[i];
    var type = bytes[i + 1];
    var at = i + 2;

    if (channel === 0x01 && type === 0x75) {
      if (at + 1 > bytes.length) { warnings.push('truncated battery record at byte ' + i); break; }
      data.battery = bytes[at];
      i = at + 1;
    } else if (channel === 0x03 && type === 0x82) {
      if (at + 2 > bytes.length) { warnings.push('truncated distance record at byte ' + i); break; }
      data.distance = bytes[at] | (bytes[at + 1] << 8);
      i = at + 2;
    } else if (channel === 0x04 && type === 0x00) {
      if (at + 1 > bytes.length) { warnings.push('truncated position record at byte ' + i); break; }
      var position = bytes[at];
      if (position === 0) {
        data.position = 'normal';
      } else if (position === 1) {
        data.position = 'tilt';
      } else {
        warnings.push('unknown position value ' + position);
      }
      i = at + 1;
    } else {
      warnings.push('unknown channel 0x' + hex(channel) + ' type 0x' + hex(type) + ' at byte ' + i + '; stopped decoding');
      break;
    }
  }

  return { data: data, warnings: warnings };
}

function hex(b) {
  return (b < 16 ? '0' : '') + b.toString(16);
}

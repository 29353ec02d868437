/** UN/CEFACT Recommendation 20 common codes, as NGSI-LD `unitCode` expects them. */
export const unitCode = {
  millimetre: 'MMT',
  metre: 'MTR',
  degreeCelsius: 'CEL',
  kilowattHour: 'KWH',
  kilowatt: 'KWT',
  cubicMetre: 'MTQ',
  cubicMetrePerHour: 'MQH',
  cubicMetrePerSecond: 'MQS',
  decibelMilliwatt: 'DBM',
} as const;

import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { csvToInputs, CsvError, parseCsv } from '../../../cloud/src/registry/csv.js';
import { registryMigrations } from '../../../cloud/src/registry/migrations.js';
import { RegistryError, RegistryRepository } from '../../../cloud/src/registry/repository.js';

let registry: RegistryRepository;
beforeEach(() => {
  const db = new Database(':memory:');
  for (const migration of registryMigrations) db.exec(migration);
  registry = new RegistryRepository(db);
});

describe('registry repository', () => {
  it('stores sites, assets and devices of a kommune, and finds a site\'s assets', () => {
    registry.put('0751', 'sites', { id: 'raadhus', name: 'Aarhus Rådhus', address: 'Rådhuspladsen 2, 8000 Aarhus C', heatedAreaM2: 19500 });
    registry.put('0751', 'assets', { id: 'heat-1', kind: 'meter', name: 'Fjernvarme', siteId: 'raadhus', meterType: 'heat', unit: 'kWh' });
    registry.put('0751', 'assets', { id: 'container-1', kind: 'waste-container', name: 'Glas, Møllevej', fraction: 'glas', volumeL: 2500 });
    registry.put('0751', 'devices', { deviceKey: '24E124136B502217', profile: 'milesight-em310-udl', assetId: 'container-1', params: { emptyDistanceMm: 1450 } });
    expect(registry.get('0751', 'devices', '24e124136b502217')).toMatchObject({ assetId: 'container-1', params: { emptyDistanceMm: 1450 } });
    expect(registry.assetsOfSite('0751', 'raadhus')).toEqual(['heat-1']);
    expect(registry.list('0751', 'assets').map((asset) => asset.id)).toEqual(['container-1', 'heat-1']);
  });

  it('keeps kommuner apart', () => {
    registry.put('0751', 'sites', { id: 'raadhus', name: 'Aarhus Rådhus' });
    expect(registry.get('0101', 'sites', 'raadhus')).toBeUndefined();
    expect(registry.list('0101', 'sites')).toEqual([]);
    expect(() => registry.put('0101', 'assets', { id: 'm', kind: 'meter', name: 'M', siteId: 'raadhus', meterType: 'heat', unit: 'kWh' })).toThrow(/no site raadhus in this kommune/);
    registry.put('0751', 'devices', { deviceKey: 'a840411f61830f7e', profile: 'dragino-lds02' });
    expect(() => registry.put('0101', 'devices', { deviceKey: 'a840411f61830f7e', profile: 'dragino-lds02' })).toThrow(/registered to another kommune/);
  });

  it('names the field of invalid input, and refuses to delete what is referred to', () => {
    expect(() => registry.put('0751', 'assets', { id: 'c', kind: 'waste-container', name: 'C', fraction: 'gold', volumeL: 100 })).toThrow(RegistryError);
    try {
      registry.put('0751', 'sites', { id: 'x', name: 'X', heatedAreaM2: -4 });
    } catch (error) {
      expect(error).toMatchObject({ status: 400, field: 'heatedAreaM2' });
    }
    registry.put('0751', 'sites', { id: 's', name: 'S' });
    registry.put('0751', 'assets', { id: 'a', kind: 'door', name: 'Dør', siteId: 's' });
    expect(() => registry.remove('0751', 'sites', 's')).toThrow(/still referred to by asset a/);
    registry.remove('0751', 'assets', 'a');
    registry.remove('0751', 'sites', 's');
    expect(() => registry.remove('0751', 'sites', 's')).toThrow(/no site s/);
  });

  it('imports all rows of a CSV or none', () => {
    const csv = 'id;name;address;heatedAreaM2\nskole-1;Vestergårdsskolen;"Vestergade 1; 8000 Aarhus";"12.500,5"\nskole-2;Østskolen;;8000\n';
    expect(registry.putMany('0751', 'sites', csvToInputs('sites', csv))).toEqual({ stored: 2 });
    expect(registry.get('0751', 'sites', 'skole-1')).toMatchObject({ address: 'Vestergade 1; 8000 Aarhus', heatedAreaM2: 12500.5 });
    const bad = 'id;name;heatedAreaM2\nskole-3;Nordskolen;100\nskole-4;Sydskolen;mange\n';
    expect(() => registry.putMany('0751', 'sites', csvToInputs('sites', bad))).toThrow(/row 3: heatedAreaM2/);
    expect(registry.get('0751', 'sites', 'skole-3')).toBeUndefined();
  });
});

describe('CSV reading', () => {
  it('reads comma files with quotes, doubled quotes, line breaks, CRLF and a BOM', () => {
    const { delimiter, rows } = parseCsv('\uFEFFid,name\r\n"a","Say ""hi""\nthere"\r\nb,plain\r\n');
    expect(delimiter).toBe(',');
    expect(rows).toEqual([['id', 'name'], ['a', 'Say "hi"\nthere'], ['b', 'plain']]);
  });

  it('maps device parameter columns and reports broken files by line', () => {
    expect(csvToInputs('devices', 'deviceKey,profile,param.emptyDistanceMm\n24e124136b502217,milesight-em310-udl,1450\n')).toEqual([
      { deviceKey: '24e124136b502217', profile: 'milesight-em310-udl', params: { emptyDistanceMm: 1450 } },
    ]);
    expect(() => csvToInputs('sites', 'id,name\n"open,field\n')).toThrow(CsvError);
    expect(() => csvToInputs('sites', 'id,name,id\n')).toThrow(/column id appears twice/);
    expect(() => csvToInputs('sites', 'id,name\na,b,c\n')).toThrow(/line 2: 3 cells/);
  });
});

import { describe, expect, it } from 'vitest';
import { MemoryProfileStore } from '../fakes/memory-profile-store.js';
import { fullMeasurement, profileStoreContract, sampleProfile, sampleStep } from './profile-store.contract.js';

profileStoreContract('MemoryProfileStore', () => {
  const store = new MemoryProfileStore();
  return {
    store,
    failingSave: (step, measurements) => {
      store.failNextSave = true;
      store.saveStep(step, measurements);
    },
  };
});

describe('MemoryProfileStore switches and recorder', () => {
  it('failNextSave fails one saveStep with an environment error, then clears itself', () => {
    const store = new MemoryProfileStore();
    store.createProfile(sampleProfile('p', 1000));
    const step = sampleStep('p', 0, 0);
    store.failNextSave = true;
    expect(() => store.saveStep(step, [fullMeasurement(step, 1000)])).toThrow(expect.objectContaining({ name: 'KhaosError', kind: 'environment' }));
    expect(store.failNextSave).toBe(false);
    expect(store.steps('p')).toEqual([]);
    store.saveStep(step, [fullMeasurement(step, 1000)]);
    expect(store.steps('p')).toEqual([step]);
  });

  it('records every call with copies of its arguments, failed ones included', () => {
    const store = new MemoryProfileStore();
    const record = sampleProfile('p', 1000);
    store.createProfile(record);
    record.status = 'done';
    store.setStatus('p', 'interrupted');
    expect(() => store.deleteProfile('ghost')).toThrow();
    store.listProfiles();
    store.close();
    expect(store.calls).toEqual([
      { method: 'createProfile', args: [sampleProfile('p', 1000)] },
      { method: 'setStatus', args: ['p', 'interrupted', undefined] },
      { method: 'deleteProfile', args: ['ghost'] },
      { method: 'listProfiles', args: [] },
      { method: 'close', args: [] },
    ]);
  });
});

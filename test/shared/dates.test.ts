import { describe, expect, it } from 'vitest';
import { fromBound, parseDate, toBound } from '../../shared/dates';

describe('parseDate', () => {
  it('reads the seed compact forms in local time', () => {
    expect(parseDate('20220221')).toEqual({ ms: new Date(2022, 1, 21).getTime(), dateOnly: true });
    expect(parseDate('20220221T061500')).toEqual({ ms: new Date(2022, 1, 21, 6, 15, 0).getTime(), dateOnly: false });
    expect(parseDate('20220221T0615')?.ms).toBe(new Date(2022, 1, 21, 6, 15).getTime());
  });

  it('reads ISO 8601 with and without a zone', () => {
    expect(parseDate('2022-02-21T06:15:00Z')?.ms).toBe(Date.UTC(2022, 1, 21, 6, 15));
    expect(parseDate('2022-02-21T06:15:00+02:00')?.ms).toBe(Date.UTC(2022, 1, 21, 4, 15));
    expect(parseDate('2022-02-21')).toEqual({ ms: new Date(2022, 1, 21).getTime(), dateOnly: true });
  });

  it('refuses what is not a date', () => {
    for (const bad of ['', 'yesterday', '2022022', '20221301', '20220230', '20220221T256000', '2022-02-30', '21/02/2022']) {
      expect(parseDate(bad), bad).toBeNull();
    }
  });

  it('makes a bare "to" day include the whole day', () => {
    const day = parseDate('20220221')!;
    expect(fromBound(day)).toBe(new Date(2022, 1, 21).getTime());
    expect(toBound(day)).toBe(new Date(2022, 1, 22).getTime());
    const t = parseDate('20220221T061500')!;
    expect(toBound(t)).toBe(t.ms + 1000);
  });
});

import type { Action, OpenData } from './contract'

/** What wx.getWeRunData's CloudID decrypts to: the last 31 days (timestamp: the day's 00:00, Beijing, in seconds). */
export interface WeRunData {
  stepInfoList: Array<{ timestamp: number; step: number }>
  watermark?: { appid: string; timestamp: number }
}

/** One day's steps; `date` is YYYY-MM-DD in Beijing time (WeChat's day). */
export interface StepDay {
  date: string
  steps: number
}

export type WerunContract = {
  /**
   * Stores the days of a wx.getWeRunData CloudID (one record per user per day; syncing the
   * same data again changes nothing). CLOUDID_EXPIRED: fetch again (the id lives 5 minutes);
   * FORGED_DATA: the object was not replaced by WeChat.
   */
  sync: Action<
    { weRunData: OpenData<WeRunData> },
    { days: number; changed: number },
    'CLOUDID_EXPIRED' | 'CLOUDID_INVALID' | 'FORGED_DATA'
  >
  /** The last `range` days ending today (Beijing), oldest first, 0 where nothing is stored. */
  history: Action<{ range: 7 | 31 }, { days: StepDay[]; today: string; goal: number; syncedAt: number | null }, never>
}

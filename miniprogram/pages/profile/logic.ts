/** Pure helpers of the profile page (no wx.*), tested on their own. */

/** Client-side mirror of the server's nickname rule (1–20 characters after trimming). The server decides. */
export function nicknameProblem(raw: string): string | null {
  const v = raw.trim()
  if (!v) return 'Please enter a nickname.'
  if (Array.from(v).length > 20) return 'A nickname can have at most 20 characters.'
  return null
}

/** Where an avatar goes in cloud storage: the user's own folder (the server checks it). */
export function avatarCloudPath(userId: string, tempPath: string, now: number, rand: string): string {
  const m = /\.(jpe?g|png|gif|webp)$/i.exec(tempPath)
  const ext = m && m[1] ? m[1].toLowerCase() : 'jpg'
  return `avatars/${userId}/${now}-${rand}.${ext}`
}

/** Why the getPhoneNumber button gave no code, in words for the user. */
export function phoneButtonProblem(detail: { errMsg?: string; errno?: number }): string {
  if (detail.errno === 1400001) return 'Phone number binding is unavailable right now (quota used up). Please try again later.'
  if (/deny|cancel/i.test(detail.errMsg ?? '')) return 'You chose not to share your phone number.'
  return `Could not get your phone number${detail.errMsg ? ` (${detail.errMsg})` : ''}.`
}

/**
 * The one loading, empty and error state of every page, in WeUI's look: WeUI's dot loading
 * (mp-loading from the extended library) or a WeUI icon, the text, and the page's next step as
 * slot content (a retry, "My orders", "Go to WeRun"…), which stays in the page's own tree so its
 * handlers and ids are the page's.
 *
 *   <kit-state id="error" kind="error" text="{{error}}"><button bindtap="onRetry">…</button></kit-state>
 */
export type StateKind = 'loading' | 'empty' | 'error'

/** WeUI icon type per state (loading shows mp-loading instead). */
const ICONS: Record<StateKind, string> = { loading: '', empty: 'info', error: 'warn' }
/** How assistive technology announces the state: errors interrupt, the rest are polite. */
const ROLES: Record<StateKind, string> = { loading: 'status', empty: 'status', error: 'alert' }
/** WeUI icon size in px (the built-in icon takes px). */
const ICON_SIZE_PX = 48

function isKind(kind: string): kind is StateKind {
  return kind in ICONS
}

Component({
  properties: {
    /** 'loading' | 'empty' | 'error'; anything else shows as empty. */
    kind: { type: String, value: 'loading' },
    /** The sentence to show, already in the user's language. */
    text: { type: String, value: '' },
  },
  data: { icon: ICONS.loading, role: ROLES.loading, iconSize: ICON_SIZE_PX },
  observers: {
    kind(kind: string) {
      const k: StateKind = isKind(kind) ? kind : 'empty'
      this.setData({ icon: ICONS[k], role: ROLES[k] })
    },
  },
})

import type { CustomerServiceContract } from './customerService'
import type { PayContract } from './pay'
import type { UserContract } from './user'
import type { WerunContract } from './werun'

/** Every cloud function the pages call, by its deployed name. */
export interface Functions {
  user: UserContract
  pay: PayContract
  customerService: CustomerServiceContract
  werun: WerunContract
}

export type FunctionName = keyof Functions

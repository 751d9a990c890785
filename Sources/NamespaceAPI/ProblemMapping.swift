import HTTPServer
import NamespaceKit

/// The one place where NamespaceKit's errors become problem documents.
extension Problem {
    init(_ error: InventoryError) {
        switch error {
        case .noSuchNamespace(let type, let inode):
            self = .notFound("no \(type.rawValue) namespace with inode \(inode)")
        case .noSuchProcess(let pid):
            self = .notFound("no process with pid \(pid)")
        }
    }

    init(_ error: SystemError) {
        self = .internalError(error.description)
    }
}
